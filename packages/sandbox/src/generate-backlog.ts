/**
 * A feed dominated by a collector's own reads (§7.3: about 6,000 `compliance_api_accessed` events a
 * day): `activities.backlog` events by the `orgAudit` key in the day before the world ends, so
 * the Activity Feed runs to several full pages of 5,000.
 */
import { compareActivity } from './generate-extras.js';
import type { SandboxKeys } from './keys.js';
import { apiActor } from './mutate.js';
import type { World } from './model.js';
import { DAY, WORLD_END } from './profiles.js';
import { Rng, idFromUuid } from './random.js';

const POLLED = ['/v1/compliance/activities?limit=1000', '/v1/compliance/apps/chats?limit=100'];

export function addBacklog(world: World, keys: SandboxKeys, count: number): void {
  const n = Math.floor(count);
  if (n <= 0) return;
  const rng = new Rng(world.seed, 'activity-backlog');
  const keyId = world.apiKeys.find((k) => k.secret === keys.orgAudit)?.id ?? 'apikey_backlog';
  for (let i = 0; i < n; i++) {
    const a = {
      id: idFromUuid('activity_', rng.uuid()),
      type: 'compliance_api_accessed',
      createdAt: WORLD_END - DAY + Math.floor((i * DAY) / n),
      orgUuid: null,
      actor: apiActor(keyId),
      fields: {
        request_id: `req_011CB${i.toString(36).padStart(8, '0')}`,
        request_method: 'GET',
        status_code: 200,
        url: POLLED[i % POLLED.length],
        request_body: null,
      },
    };
    world.activities.push(a);
    world.index.activityById.set(a.id, a);
  }
  world.activities.sort(compareActivity);
}
