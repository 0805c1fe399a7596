/**
 * The exact error bodies, byte for byte: the §5.1 object `{"error":{"type":…,"message":…}}` inside
 * the `{"type":"error",…}` envelope of every api.anthropic.com error (no request id in the body:
 * that is the `request-id` header). 401s (§5.3) share the shape with every other error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { V1, openApi, type Api } from './helpers.js';

describe('sandbox error bodies (§5.1)', () => {
  let api: Api;
  let org: string;
  beforeAll(async () => {
    api = await openApi({ seed: 3 });
    org = ((await api.json(`${V1}/organizations`)) as { data: { uuid: string }[] }).data[0]!.uuid;
  });
  afterAll(() => api.sb.close());

  const exact = async (res: Response): Promise<[number, string | null, string, string | null]> => [
    res.status,
    res.headers.get('content-type'),
    await res.text(),
    res.headers.get('request-id') === null ? null : 'request-id',
  ];

  it('401 for an altered, a deactivated and (on /settings) a missing key', async () => {
    const body = (message: string): string =>
      JSON.stringify({ type: 'error', error: { type: 'authentication_error', message } });
    const json = 'application/json';
    expect(await exact(await api.get(`${V1}/apps/chats`, `${api.sb.keys.full}x`))).toEqual([
      401,
      expect.stringContaining(json),
      body('API key is invalid.'),
      'request-id',
    ]);
    expect(await exact(await api.get(`${V1}/apps/chats`, api.sb.keys.deactivated))).toEqual([
      401,
      expect.stringContaining(json),
      body('API key has been deactivated.'),
      'request-id',
    ]);
    expect(await exact(await api.get(`${V1}/organizations/${org}/settings`, null))).toEqual([
      401,
      expect.stringContaining(json),
      body('API key is invalid.'),
      'request-id',
    ]);
  });

  it('404 and 403 have the same shape', async () => {
    expect(await exact(await api.get(`${V1}/apps/chats`, api.sb.keys.claudeApi))).toEqual([
      404,
      expect.stringContaining('application/json'),
      '{"type":"error","error":{"type":"not_found_error","message":"Not found"}}',
      'request-id',
    ]);
    const forbidden = await exact(await api.get(`${V1}/apps/chats`, api.sb.keys.activitiesOnly));
    expect(forbidden[0]).toBe(403);
    expect(Object.keys(JSON.parse(forbidden[2]) as object)).toEqual(['type', 'error']);
    expect(Object.keys((JSON.parse(forbidden[2]) as { error: object }).error)).toEqual(['type', 'message']);
  });
});
