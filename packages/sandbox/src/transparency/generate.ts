/**
 * Access Transparency events (compliance-api.md §7.3): a deterministic handful per organization of
 * `anthropic_access` / `cmek_preserve` — Anthropic personnel accessing or preserving the
 * organization's data — each naming a real chat or message of that organization.
 *
 * Log coverage: every organization but the last enrolled in a transparency log partway through its
 * history, so its first one or two events carry `transparency_log_leaf_index: null` and the rest
 * indices 0, 1, 2, … in (created_at, id) order. With more than one organization the last one never
 * enrolled: all its events carry null and its log endpoints answer 404.
 */
import type { Content } from '../generate-content.js';
import type { Directory } from '../generate-directory.js';
import { compareActivity } from '../generate-extras.js';
import { messageId } from '../messages.js';
import type { Activity, Chat } from '../model.js';
import { WORLD_END } from '../profiles.js';
import { Rng, idFromUuid, iso } from '../random.js';
import { LEAF_INDEX_FIELD } from './leaf.js';

const MINUTE = 60_000;
// Non-ASCII and quote characters on purpose: canonical JSON must carry them byte for byte.
const DEPARTMENTS = [
  'Trust & Safety',
  'Security Engineering',
  'Support Engineering',
  'Legal & Compliance',
  'Sûreté — 信頼性チーム',
  'Incident Response "Tier 2"',
];
const REASONS = [
  'safety_review',
  'incident_response',
  'policy_violation_investigation',
  'csae_report',
  'unspecified',
];

function resourceOf(seed: number, rng: Rng, chat: Chat): Record<string, unknown> {
  if (chat.messageCount > 0 && rng.chance(0.6)) {
    // `parent` is served; the leaf always commits it as null under schema version 0x01.
    const id = messageId(seed, chat, rng.int(0, chat.messageCount - 1));
    return { id, type: 'message', parent: chat.id };
  }
  return { id: chat.id, type: 'conversation', parent: null };
}

function generateTransparencyActivities(seed: number, dir: Directory, content: Content): Activity[] {
  const out: Activity[] = [];
  dir.orgs.forEach((org, o) => {
    const rng = new Rng(seed, 'access-transparency', org.uuid);
    const chats = content.chats.filter((c) => c.orgUuid === org.uuid);
    const events: Activity[] = [];
    const count = rng.int(5, 9);
    for (let e = 0; e < count; e++) {
      const chat = chats.length === 0 ? null : rng.pick(chats);
      const lo = (chat?.lastMessageAt ?? org.createdAt) + MINUTE;
      const hi = WORLD_END - MINUTE;
      const createdAt = lo >= hi ? lo : lo + Math.floor(rng.float() * (hi - lo));
      const type = rng.chance(0.7) ? 'anthropic_access' : 'cmek_preserve';
      events.push({
        id: idFromUuid('activity_', rng.uuid()),
        type,
        createdAt,
        orgUuid: org.uuid,
        actor: { type: 'anthropic_actor', email_address: null },
        fields: {
          accessed_at:
            type === 'cmek_preserve' && rng.chance(0.5) ? null : iso(createdAt - rng.int(2, 600) * 1000),
          accessor_department: rng.chance(0.15) ? null : rng.pick(DEPARTMENTS),
          reason_code: rng.pick(REASONS),
          resource_details: chat === null ? null : resourceOf(seed, rng, chat),
          workspace_id: rng.chance(0.3) ? idFromUuid('wrkspc_', rng.uuid()) : null,
          [LEAF_INDEX_FIELD]: null,
        },
      });
    }
    events.sort(compareActivity);
    const enrolled = dir.orgs.length === 1 || o < dir.orgs.length - 1;
    if (enrolled) {
      const before = rng.int(1, 2);
      events.slice(before).forEach((a, i) => (a.fields[LEAF_INDEX_FIELD] = i));
    }
    out.push(...events);
  });
  return out;
}

/** The feed's events with the Access Transparency ones merged in, in (created_at, id) order. */
export function withTransparencyActivities(
  activities: Activity[],
  seed: number,
  dir: Directory,
  content: Content,
): Activity[] {
  return [...activities, ...generateTransparencyActivities(seed, dir, content)].sort(compareActivity);
}
