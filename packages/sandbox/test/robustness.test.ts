/* eslint-disable @typescript-eslint/no-explicit-any -- tests read untyped JSON bodies */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_ROUTES } from '../src/index.js';
import { openApi, type Api } from './helpers.js';

const JUNK_IDS = ['x', '%00', '..%2F..%2Fetc', 'a'.repeat(300)];
const JUNK_QUERIES = [
  '',
  'page=%%%',
  'page=cGFnZV8=',
  'page=page_e30=',
  'limit=-5',
  'after_id=eyJrIjoiY3JlYXRlZF9hdCJ9',
  'before_id=bnVsbA==',
  'created_at.gte=9999-99-99',
  'order=sideways',
  'tool_use_input_max_chars=-2',
  'user_ids[]=&user_ids[]=',
];

describe('sandbox robustness', () => {
  let api: Api;
  beforeAll(async () => {
    api = await openApi({ seed: 13 });
  });
  afterAll(() => api.sb.close());

  it('never answers 5xx to junk ids and junk query strings, and always with a documented error body', async () => {
    let calls = 0;
    for (const route of ALL_ROUTES) {
      if (route.method !== 'GET') continue;
      for (const id of JUNK_IDS) {
        const path = route.template.replace(/\{[^}]+\}/g, id);
        for (const q of JUNK_QUERIES) {
          const res = await api.get(`${path}${q === '' ? '' : `?${q}`}`);
          const body: any = await res.json();
          calls++;
          expect([path, q, res.status < 500]).toEqual([path, q, true]);
          if (res.status !== 200) {
            expect(typeof body.error.type).toBe('string');
            expect(typeof body.error.message).toBe('string');
          }
          expect(res.headers.get('request-id')).toMatch(/^req_/);
        }
      }
    }
    expect(calls).toBeGreaterThan(500);
    const stats = await api.stats();
    for (const byStatus of Object.values<Record<string, number>>(stats.byRoute)) {
      expect(Object.keys(byStatus).filter((s) => s.startsWith('5'))).toEqual([]);
    }
  });
});
