/** Error replies with the §5.1 body `{ type: "error", error: { type, message } }`. */

export type ErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'api_error'
  | 'overloaded_error';

export class ApiError extends Error {
  readonly status: number;
  readonly type: ErrorType;
  readonly headers: Record<string, string>;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    status: number,
    type: ErrorType,
    message: string,
    opts: { headers?: Record<string, string>; details?: Record<string, unknown> } = {},
  ) {
    super(message);
    this.status = status;
    this.type = type;
    this.headers = opts.headers ?? {};
    this.details = opts.details;
  }

  /**
   * `{ type: "error", error: { type, message } }`: the §5.1 object inside the envelope every
   * api.anthropic.com error body carries, the 401 included.
   */
  body(): {
    type: 'error';
    error: { type: ErrorType; message: string; details?: Record<string, unknown> };
  } {
    return {
      type: 'error',
      error: {
        type: this.type,
        message: this.message,
        ...(this.details !== undefined ? { details: this.details } : {}),
      },
    };
  }
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, 'invalid_request_error', message);
}

export function notFound(message = 'Not found'): ApiError {
  return new ApiError(404, 'not_found_error', message);
}

/** Python-repr list, as the 403 messages print scopes: `['a', 'b']`. */
export function pyList(items: readonly string[]): string {
  return `[${items.map((s) => `'${s}'`).join(', ')}]`;
}
