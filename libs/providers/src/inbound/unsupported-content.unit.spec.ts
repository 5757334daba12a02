import { describe, expect, it } from 'vitest';
import { anthropicToolResultBody } from '../adapters/adapters.test-kit.js';
import { decodeAnthropicCountTokensRequest, decodeAnthropicRequest } from '../anthropic/anthropic.codec.js';
import { InboundRequestError } from '../errors.js';
import { decodeOpenAIChatRequest } from '../openai/openai-chat.codec.js';
import { decodeOpenAIResponsesRequest } from '../openai/openai-responses.codec.js';

function refusal(decode: () => unknown): InboundRequestError {
  let caught: unknown;
  try {
    decode();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(InboundRequestError);
  return caught as InboundRequestError;
}

const search = { type: 'search_result', source: 'https://intranet.example/doc', title: 'contract', content: [{ type: 'text', text: 'clause 4' }] };

describe('content the gateway does not carry', () => {
  it('is refused by name and place, saying why and what to send instead (Anthropic)', () => {
    const body = { model: 'claude', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'yes' }, { role: 'user', content: [{ type: 'text', text: 'read' }, search] }] };
    const err = refusal(() => decodeAnthropicRequest(body));
    expect(err.param).toBe('messages.2.content.1');
    expect(err.message).toBe(
      'messages.2.content.1: a search result (`search_result` content) is not supported: the gateway carries text, images, tool calls and tool results, whose text it scans for personal data; it cannot scan what is in such content, so it does not send it to a provider. Send its text as text content instead',
    );
    expect(refusal(() => decodeAnthropicCountTokensRequest(body)).param).toBe('messages.2.content.1');
    // Inside a tool result too.
    const inTool = { model: 'claude', max_tokens: 10, messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: [{ type: 'container_upload', file_id: 'f1' }] }] }] };
    expect(refusal(() => decodeAnthropicRequest(inTool)).message).toMatch(/^messages\.0\.content\.0\.content\.0: a file for the code execution tool \(`container_upload` content\)/);
  });

  it('is refused by name in the Responses API (no provider speaks it, so nothing of it is carried as it is)', () => {
    const audio = refusal(() => decodeOpenAIResponsesRequest({ model: 'gpt-4o', input: [{ role: 'user', content: [{ type: 'input_text', text: 'hear' }, { type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } }] }] }));
    expect(audio.message).toMatch(/^input\.0\.content\.1: audio \(`input_audio` content\) is not supported/);
    // A file in a tool's output; in a user message, a PDF given inline is carried (ADR 0027).
    const output = refusal(() => decodeOpenAIResponsesRequest({ model: 'gpt-4o', input: [{ type: 'function_call_output', call_id: 'c1', output: [{ type: 'input_file', file_data: 'data:application/pdf;base64,JVBERi0=' }] }] }));
    expect(output.message).toMatch(/^input\.0\.output\.0: a file \(`input_file` content\) is not supported/);
  });

  it('names the one form of a Responses file the gateway takes: a PDF inline', () => {
    const byId = refusal(() => decodeOpenAIResponsesRequest({ model: 'gpt-4o', input: [{ role: 'user', content: [{ type: 'input_text', text: 'read' }, { type: 'input_file', file_id: 'file-1' }] }] }));
    expect(byId.param).toBe('input.0.content.1');
    expect(byId.message).toBe(
      'input.0.content.1: a file given by `file_id` is not supported: the gateway takes a file as a PDF given inline, `file_data` a data: URL (`data:application/pdf;base64,...`) with an optional `filename`',
    );
    expect(refusal(() => decodeOpenAIResponsesRequest({ model: 'gpt-4o', input: [{ role: 'user', content: [{ type: 'input_file', file_url: 'https://example.com/a.pdf' }] }] })).message).toMatch(/^input\.0\.content\.0: a file given by `file_url` is not supported/);
    for (const fileData of ['data:text/plain;base64,aGk=', 'https://example.com/a.pdf', 'data:application/pdf;base64,']) {
      const err = refusal(() => decodeOpenAIResponsesRequest({ model: 'gpt-4o', input: [{ role: 'user', content: [{ type: 'input_file', file_data: fileData }] }] }));
      expect(err.message, fileData).toMatch(/^input\.0\.content\.0: this file is not supported: the gateway takes a file as a PDF given inline/);
    }
    expect(refusal(() => decodeOpenAIResponsesRequest({ model: 'gpt-4o', input: [{ role: 'system', content: [{ type: 'input_file', file_data: 'data:application/pdf;base64,JVBERi0=' }] }] })).message).toBe('system messages cannot contain files');
  });

  it('refuses tools the provider runs by name, saying which tools the gateway serves', () => {
    const anthropic = refusal(() => decodeAnthropicRequest({ model: 'claude', max_tokens: 10, messages: [{ role: 'user', content: 'news?' }], tools: [{ name: 'f', input_schema: { type: 'object' } }, { type: 'web_search_20250305', name: 'web_search', max_uses: 3 }] }));
    expect(anthropic.param).toBe('tools.1');
    expect(anthropic.message).toBe(
      "tools.1: Anthropic's server tool `web_search_20250305` is not supported: the gateway serves custom tools and Anthropic's client tools (bash, the text editor, computer use, memory, and the computer and browser toolsets), which your application runs; a tool the provider runs brings content into the conversation that the gateway cannot scan for personal data",
    );
    expect(refusal(() => decodeOpenAIResponsesRequest({ model: 'gpt-4o', input: 'news?', tools: [{ type: 'web_search' }] })).message).toMatch(
      /^tools\.0: the built-in tool `web_search` is not supported: the gateway serves function tools, custom tools and the local tools `shell`, `local_shell`, `apply_patch` and computer use, which your application runs/,
    );
  });

  it('refuses the members by which the provider runs tools of its own, unless they ask for none', () => {
    const anthropic = (mcp: unknown) => decodeAnthropicRequest({ model: 'claude', max_tokens: 10, messages: [{ role: 'user', content: 'news?' }], mcp_servers: mcp });
    const err = refusal(() => anthropic([{ type: 'url', url: 'https://mcp.example/sse', name: 'crm' }]));
    expect(err.param).toBe('mcp_servers');
    expect(err.message).toMatch(/^mcp_servers: Anthropic's MCP connector \(`mcp_servers`\) is not supported: the gateway serves custom tools/);
    expect(anthropic([]).extra?.members).toEqual({ mcp_servers: [] });
    expect(refusal(() => decodeOpenAIChatRequest({ model: 'gpt-4o-search-preview', messages: [{ role: 'user', content: 'news?' }], web_search_options: {} })).param).toBe('web_search_options');
    expect(decodeOpenAIChatRequest({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], web_search_options: null }).extra?.members).toEqual({ web_search_options: null });
  });

  it('refuses an Anthropic image from the Files API, saying what to send instead', () => {
    const image = { type: 'image', source: { type: 'file', file_id: 'file_011CNha8iCJcU1wXNR6q4V8w' } };
    const err = refusal(() => decodeAnthropicRequest({ model: 'claude', max_tokens: 10, messages: [{ role: 'user', content: [image, { type: 'text', text: 'What is it?' }] }] }));
    expect(err.param).toBe('messages.0.content.0');
    expect(err.message).toMatch(/^messages\.0\.content\.0: an image given by `file_id` \(Anthropic's Files API\) is not supported: .*Send the image as base64 data or a URL$/);
    const inResult = refusal(() => decodeAnthropicRequest(anthropicToolResultBody([image])));
    expect(inResult.param).toBe('messages.2.content.0.content.0');
  });

  it('leaves other schema errors as they were', () => {
    const err = refusal(() => decodeAnthropicRequest({ model: 'claude', max_tokens: 10, messages: [{ role: 'user', content: [{ type: 'hologram' }] }] }));
    expect(err.message).toMatch(/^messages\.0\.content\.0\.type: /);
    expect(err.message).not.toMatch(/is not supported/);
  });
});
