import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createComplianceClient, type ComplianceClient } from '../../src/api/index.js';
import { startFixture, type Fixture } from './fixture-server.js';

/** Ids are untrusted: `.` and `..` must not become dot-segments that address another endpoint. */
describe('ids made only of dots', () => {
  let fixture: Fixture;
  let client: ComplianceClient;
  beforeAll(async () => {
    fixture = await startFixture(() => ({ json: { id: 'x', md5: null, size_bytes: null } }));
    client = createComplianceClient({ baseUrl: fixture.baseUrl, apiKey: 'sk-ant-api01-test-key-0000' });
  });
  afterAll(async () => {
    await client.close();
    await fixture.close();
  });

  it('are sent percent-encoded, inside their own segment', async () => {
    await client.getFileMetadata('..');
    await client.getFileMetadata('.');
    await client.getFileMetadata('a.b');
    expect(fixture.requests.map((r) => r.url)).toEqual([
      '/v1/compliance/apps/chats/files/%2E%2E',
      '/v1/compliance/apps/chats/files/%2E',
      '/v1/compliance/apps/chats/files/a.b',
    ]);
  });
});
