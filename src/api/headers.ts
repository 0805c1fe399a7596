/** Response headers as undici delivers them (lower-case names; repeated headers as arrays). */
export type HeaderBag = Readonly<Record<string, string | string[] | undefined>>;

/** The first value of a header, or undefined. Names are matched lower-case. */
export function headerValue(headers: HeaderBag | undefined, name: string): string | undefined {
  if (headers === undefined) return undefined;
  const value = headers[name.toLowerCase()];
  if (Array.isArray(value)) return value[0];
  return value;
}
