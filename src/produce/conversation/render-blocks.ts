/**
 * A message's content blocks as readable text (compliance-api.md §3.9 for chats, §3.16 for
 * sessions): text as written, a tool call as its name and pretty-printed input, a tool result as
 * its text, and anything this tool does not know (a new block type, a malformed block) as a
 * labelled JSON fallback. Nothing is dropped: a reviewer sees every block the API gave.
 */
import { isRecord, str } from './conversation-model.js';

/** Notes the API's flags call for (§3.9: truncation, stripped reasoning). */
const NOTE = {
  thinking: '[Internal reasoning was removed from this text by the Compliance API.]',
  textCut: '[This text was cut short by the Compliance API.]',
  inputCut: '[This input was cut short by the Compliance API, so it is not valid JSON as given.]',
  resultCut: '[This result was cut short by the Compliance API.]',
} as const;

/** Every block rendered, separated by a blank line. */
export function renderBlocks(blocks: readonly unknown[]): string {
  return blocks.map(renderBlock).join('\n\n');
}

function renderBlock(block: unknown): string {
  if (!isRecord(block)) return fallback('a content block that is not an object', block);
  switch (block.type) {
    case 'text':
      return renderText(block);
    case 'tool_use':
      return renderToolUse(block);
    case 'tool_result':
      return renderToolResult(block);
    default:
      return fallback(
        typeof block.type === 'string'
          ? `a content block of type ${JSON.stringify(block.type)} this tool does not render`
          : 'a content block without a type',
        block,
      );
  }
}

function renderText(block: Record<string, unknown>): string {
  const text = str(block, 'text');
  if (text === null) return fallback('a text block without text', block);
  const notes = [
    ...(block.thinking_redacted === true ? [NOTE.thinking] : []),
    ...(block.truncated === true ? [NOTE.textCut] : []),
  ];
  return [text, ...notes].join('\n');
}

/** "name via Integration (MCP server url), id toolu_…" from the fields a tool block may carry. */
function toolLabel(block: Record<string, unknown>): string {
  const name = str(block, 'name') ?? '(no name)';
  const integration = str(block, 'integration_name');
  const mcp = str(block, 'mcp_server_url');
  return [
    name,
    integration !== null ? ` via ${integration}` : '',
    mcp !== null ? ` (MCP server ${mcp})` : '',
  ].join('');
}

function renderToolUse(block: Record<string, unknown>): string {
  const id = str(block, 'id');
  const head = `[Tool use: ${toolLabel(block)}${id !== null ? `, id ${id}` : ''}]`;
  const input = block.input;
  let shown: string;
  if (typeof input === 'string') {
    // §3.9: `input` is a JSON-encoded string; shown pretty-printed when it parses.
    shown = prettyJson(input) ?? input;
  } else {
    shown = input === undefined ? '(no input)' : JSON.stringify(input, null, 2);
  }
  return [head, shown, ...(block.truncated === true ? [NOTE.inputCut] : [])].join('\n');
}

function renderToolResult(block: Record<string, unknown>): string {
  const forId = str(block, 'tool_use_id');
  const error = block.is_error === true ? ' (error)' : '';
  const head = `[Tool result${error}: ${toolLabel(block)}${forId !== null ? `, for ${forId}` : ''}]`;
  const content = block.content;
  let shown: string;
  if (Array.isArray(content)) {
    const items = content.map((item) => {
      if (isRecord(item) && item.type === 'text' && typeof item.text === 'string') return item.text;
      return fallback('a result item this tool does not render', item);
    });
    shown = items.length > 0 ? items.join('\n') : '(no text content)';
  } else if (typeof content === 'string') {
    shown = content;
  } else {
    shown = content === undefined ? '(no content)' : fallback('result content that is not a list', content);
  }
  return [head, shown, ...(block.truncated === true ? [NOTE.resultCut] : [])].join('\n');
}

function prettyJson(text: string): string | null {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null ? JSON.stringify(parsed, null, 2) : null;
  } catch {
    return null;
  }
}

function fallback(what: string, value: unknown): string {
  return `[Unrendered: ${what}; as the API gave it:]\n${JSON.stringify(value, null, 2) ?? String(value)}`;
}
