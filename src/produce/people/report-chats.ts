/**
 * report.html's chats per custodian (linking to their transcripts) and the activity timeline.
 */
import { formatCount } from './format.js';
import { capNote, row, table, text, transcriptHref } from './html.js';
import type { ActivityTimeline, ChatListing, RowSource } from './types.js';

interface CustodianChats {
  total: number;
  readonly shown: string[];
  /** Why chats have no custodian, counted (only for the '' custodian). */
  readonly notes: Map<string, number>;
}

const NOTE_TEXT: Readonly<Record<string, string>> = {
  api_user_null: 'the API gave no user',
  org_level: 'not owned by a user',
};

function chatRow(c: ChatListing): string {
  const href = transcriptHref(c.textPath);
  const name = c.name === null || c.name.trim() === '' ? '(untitled)' : c.name;
  const label = text(name, 160);
  return row([
    `<code>${text(c.docid, 40)}</code>`,
    href === null ? label : `<a href="${href}">${label}</a>`,
    text(c.createdAt ?? '', 40),
    text(c.updatedAt ?? '', 40),
    c.deleted === true ? 'deleted' : '',
  ]);
}

/** Chats grouped by custodian (byte order, the no-custodian group last), each list capped. */
export async function chatsSection(
  chats: RowSource<ChatListing>,
  perCustodian: number,
  cap: number,
): Promise<string> {
  const groups = new Map<string, CustodianChats>();
  let total = 0;
  let shownTotal = 0;
  for await (const c of chats) {
    total += 1;
    let g = groups.get(c.custodian);
    if (g === undefined) {
      g = { total: 0, shown: [], notes: new Map() };
      groups.set(c.custodian, g);
    }
    g.total += 1;
    if (c.custodian === '') {
      const note = c.custodianNote ?? 'unknown';
      g.notes.set(note, (g.notes.get(note) ?? 0) + 1);
    }
    if (g.shown.length < perCustodian && shownTotal < cap) {
      g.shown.push(chatRow(c));
      shownTotal += 1;
    }
  }
  const top =
    '<section id="chats"><h2>Chats per custodian</h2>' +
    '<p class="muted">Each name links to the chat\'s plain-text transcript in ' +
    '<code>data/review/text/</code>; the RSMF file and the API record are named in the load file.</p>';
  if (total === 0) return `${top}<p>No chats in this archive.</p></section>`;
  const order = [...groups.keys()].sort((a, b) => (a === '' ? 1 : b === '' ? -1 : a < b ? -1 : 1));
  const parts = order.map((custodian) => {
    const g = groups.get(custodian)!;
    const why = [...g.notes.entries()].map(([k, n]) => `${formatCount(n)}: ${NOTE_TEXT[k] ?? 'unknown'}`);
    const title =
      custodian === ''
        ? `No custodian <span class="muted">(${text(why.join('; '), 200)})</span>`
        : text(custodian);
    const list =
      g.shown.length === 0 ? '' : table(['DOCID', 'Chat', 'Created', 'Updated', ''], g.shown, 'chats');
    return (
      `<h3>${title} <span class="muted">${formatCount(g.total)} ${g.total === 1 ? 'chat' : 'chats'}</span></h3>` +
      `${list}${capNote(g.shown.length, g.total, 'data/review/loadfile.dat')}`
    );
  });
  return `${top}${parts.join('')}</section>`;
}

interface Period {
  readonly label: string;
  total: number;
  readonly byType: Map<string, number>;
}

/** Days, or months / years when there are too many days to draw one bar each. */
function periods(timeline: ActivityTimeline, maxBars: number): { unit: string; bars: Period[] } {
  for (const [unit, width] of [
    ['day', 10],
    ['month', 7],
    ['year', 4],
  ] as const) {
    const byLabel = new Map<string, Period>();
    for (const d of timeline.days) {
      const label = d.day.slice(0, width);
      let p = byLabel.get(label);
      if (p === undefined) {
        p = { label, total: 0, byType: new Map() };
        byLabel.set(label, p);
      }
      p.total += d.total;
      for (const t of d.byType) p.byType.set(t.type, (p.byType.get(t.type) ?? 0) + t.count);
    }
    if (byLabel.size <= maxBars || unit === 'year') return { unit, bars: [...byLabel.values()] };
  }
  return { unit: 'day', bars: [] };
}

function topTypes(byType: ReadonlyMap<string, number>, n: number): string {
  const ranked = [...byType.entries()].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0));
  return text(
    ranked
      .slice(0, n)
      .map(([type, count]) => `${type} ${formatCount(count)}`)
      .join(', '),
    400,
  );
}

/** Activities per period as CSS bars (widths in % of the busiest period), and the top types. */
export function timelineSection(timeline: ActivityTimeline | null, maxBars: number): string {
  const top = '<section id="activity"><h2>Activity timeline</h2>';
  if (timeline === null) return `${top}<p>Activities are not in the scope of this export.</p></section>`;
  if (timeline.total === 0) return `${top}<p>No activities in this archive.</p></section>`;
  const { unit, bars } = periods(timeline, maxBars);
  const max = Math.max(1, ...bars.map((b) => b.total));
  const rows = bars.map((b) => {
    const width = ((b.total / max) * 100).toFixed(1);
    return (
      `<tr><td><code>${text(b.label, 10)}</code></td>` +
      `<td class="barcell"><div class="bar" style="width:${width}%"></div></td>` +
      `<td class="num">${formatCount(b.total)}</td><td>${topTypes(b.byType, 3)}</td></tr>`
    );
  });
  const undated =
    timeline.undated > 0 ? ` ${formatCount(timeline.undated)} have no usable date and are not drawn.` : '';
  const types = timeline.types
    .slice(0, 25)
    .map((t) => row([`<code>${text(t.type, 100)}</code>`, formatCount(t.count)]));
  return (
    `${top}<p>${formatCount(timeline.total)} activities, per ${unit} (UTC).${undated}</p>` +
    table(
      [unit[0]!.toUpperCase() + unit.slice(1), '', 'Activities', 'Most frequent types'],
      rows,
      'timeline',
    ) +
    '<h3>Most frequent activity types</h3>' +
    table(['Type', 'Activities'], types) +
    capNote(types.length, timeline.types.length, 'data/activities/activities.jsonl') +
    '</section>'
  );
}
