import { ANTHROPIC_CLIENT_TOOL, ANTHROPIC_TOOLSET } from '../anthropic/anthropic.wire.js';
import { InboundRequestError } from '../errors.js';

type Api = 'openai-chat' | 'openai-responses' | 'anthropic-messages';

/**
 * Content types of each inbound API that the canonical model does not carry, with what they
 * are. Each is refused by name (a schema error would only list the types that are accepted).
 */
const NOT_CARRIED: Readonly<Record<Api, Readonly<Record<string, string>>>> = {
  'anthropic-messages': {
    search_result: 'a search result',
    container_upload: 'a file for the code execution tool',
    server_tool_use: 'a call of a server tool',
    web_search_tool_result: 'a result of the web search tool',
    web_fetch_tool_result: 'a result of the web fetch tool',
    code_execution_tool_result: 'a result of the code execution tool',
    mcp_tool_use: 'a call of an MCP tool',
    mcp_tool_result: 'a result of an MCP tool',
  },
  'openai-chat': {},
  'openai-responses': { input_file: 'a file', input_audio: 'audio' },
};

/**
 * Types of {@link NOT_CARRIED} that a user message's content may hold all the same: the decoder
 * takes them in a form it names (a Responses `input_file` with a PDF inline, ADR 0027).
 */
const CARRIED_IN_USER_CONTENT: Readonly<Record<Api, ReadonlySet<string>>> = {
  'anthropic-messages': new Set(),
  'openai-chat': new Set(),
  'openai-responses': new Set(['input_file']),
};

/** The tool types each API's decoder reads (`undefined`: a tool with no type). */
const TOOL_TYPES: Readonly<Record<Api, ReadonlySet<unknown>>> = {
  'anthropic-messages': new Set([undefined, 'custom']),
  'openai-chat': new Set(['function', 'custom']),
  'openai-responses': new Set(['function', 'custom', 'shell', 'local_shell', 'apply_patch', 'computer', 'computer_use_preview']),
};

/** What each API's client may declare instead of a tool the provider runs. */
const SERVES: Readonly<Record<Api, string>> = {
  'anthropic-messages': "custom tools and Anthropic's client tools (bash, the text editor, computer use, memory, and the computer and browser toolsets)",
  'openai-chat': 'function and custom tools',
  'openai-responses': 'function tools, custom tools and the local tools `shell`, `local_shell`, `apply_patch` and computer use',
};

/**
 * Top-level members by which a request has the provider run tools of its own, with what they
 * are: refused for the reason such tools are (see {@link toolRefusal}).
 */
const PROVIDER_TOOL_MEMBERS: Readonly<Record<Api, Readonly<Record<string, string>>>> = {
  'anthropic-messages': { mcp_servers: "Anthropic's MCP connector" },
  'openai-chat': { web_search_options: "OpenAI's web search" },
  'openai-responses': {},
};

/**
 * The refusal of a member of `members` (a body's unread members) that has the provider run tools
 * of its own (an empty list or `null` asks for none); undefined when there is none.
 */
export function providerToolMember(members: Readonly<Record<string, unknown>>, api: Api | 'openai-completions'): InboundRequestError | undefined {
  // The Completions API has no tools at all.
  if (api === 'openai-completions') return undefined;
  for (const [key, what] of Object.entries(PROVIDER_TOOL_MEMBERS[api])) {
    const value = members[key];
    if (value === undefined || value === null || (Array.isArray(value) && value.length === 0)) continue;
    return new InboundRequestError(
      `${key}: ${what} (\`${key}\`) is not supported: the gateway serves ${SERVES[api]}, which your application runs; a tool the provider runs brings content into the conversation that the gateway cannot scan for personal data`,
      key,
    );
  }
  return undefined;
}

/** Why the gateway does not serve tools of other types, and what to declare instead. */
function toolRefusal(api: Api, type: string, param: string): InboundRequestError {
  const which = api === 'anthropic-messages' ? `Anthropic's server tool \`${type}\`` : api === 'openai-responses' ? `the built-in tool \`${type}\`` : `a \`${type}\` tool`;
  return new InboundRequestError(
    `${param}: ${which} is not supported: the gateway serves ${SERVES[api]}, which your application runs; a tool the provider runs brings content into the conversation that the gateway cannot scan for personal data`,
    param,
  );
}

/** Why the gateway does not carry such content, and what to send instead. */
const WHY =
  'the gateway carries text, images, tool calls and tool results, whose text it scans for personal data; it cannot scan what is in such content, so it does not send it to a provider. Send its text as text content instead';

function list(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

function typeOf(value: unknown): unknown {
  return value !== null && typeof value === 'object' ? (value as { type?: unknown }).type : undefined;
}

/**
 * The refusal of a body that declares a tool of a type the gateway does not serve (a server or
 * built-in tool), or whose messages hold content it does not carry (a PDF document, a file, audio,
 * server tool blocks), naming it and where it is; undefined when there is none. Called when a body
 * fails its schema, so it costs nothing on the way of a valid request.
 */
export function unsupportedContent(body: unknown, api: Api): InboundRequestError | undefined {
  const known = NOT_CARRIED[api];
  const root = body !== null && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  const items = api === 'openai-responses' ? root['input'] : root['messages'];
  const top = api === 'openai-responses' ? 'input' : 'messages';
  const refuse = (type: unknown, param: string, part?: unknown): InboundRequestError | undefined => {
    // An Anthropic image from the Files API: stored at the provider, out of the scanner's reach.
    if (api === 'anthropic-messages' && type === 'image' && typeOf((part as { source?: unknown } | null)?.source) === 'file') {
      return new InboundRequestError(
        `${param}: an image given by \`file_id\` (Anthropic's Files API) is not supported: the gateway scans the images it carries, and cannot read one stored at the provider. Send the image as base64 data or a URL`,
        param,
      );
    }
    if (typeof type !== 'string' || !Object.hasOwn(known, type)) return undefined;
    return new InboundRequestError(`${param}: ${known[type]} (\`${type}\` content) is not supported: ${WHY}`, param);
  };
  for (const [i, tool] of list(root['tools']).entries()) {
    const type = typeOf(tool);
    if (typeof type !== 'string' || TOOL_TYPES[api].has(type) || (api === 'anthropic-messages' && (ANTHROPIC_CLIENT_TOOL.test(type) || ANTHROPIC_TOOLSET.test(type)))) continue;
    return toolRefusal(api, type, `tools.${i}`);
  }
  for (const [i, item] of list(items).entries()) {
    const content = item !== null && typeof item === 'object' ? (item as Record<string, unknown>)['content'] : undefined;
    // A Responses input item may itself be such content.
    const self = api === 'openai-responses' ? refuse(typeOf(item), `${top}.${i}`) : undefined;
    if (self) return self;
    const user = item !== null && typeof item === 'object' && (item as Record<string, unknown>)['role'] === 'user';
    for (const [j, part] of list(content).entries()) {
      const type = typeOf(part);
      if (user && typeof type === 'string' && CARRIED_IN_USER_CONTENT[api].has(type)) continue;
      const found = refuse(type, `${top}.${i}.content.${j}`, part);
      if (found) return found;
      // Anthropic tool results hold content blocks too.
      for (const [k, inner] of list((part as { content?: unknown } | null)?.content).entries()) {
        const nested = refuse(typeOf(inner), `${top}.${i}.content.${j}.content.${k}`, inner);
        if (nested) return nested;
      }
    }
    const output = item !== null && typeof item === 'object' ? (item as Record<string, unknown>)['output'] : undefined;
    for (const [j, part] of list(output).entries()) {
      const found = refuse(typeOf(part), `${top}.${i}.output.${j}`);
      if (found) return found;
    }
  }
  return undefined;
}
