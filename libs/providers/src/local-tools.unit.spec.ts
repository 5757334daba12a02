import { describe, expect, it } from 'vitest';
import { prepareRequest, type Deployment } from './adapters/adapter.js';
import { anthropicAdapter } from './anthropic/anthropic.adapter.js';
import { createAnthropicStreamEncoder, decodeAnthropicRequest, encodeAnthropicResponse, limitMessagesBody } from './anthropic/anthropic.codec.js';
import { bedrockAdapter } from './bedrock/bedrock.adapter.js';
import { providerAdapters } from './adapters/registry.js';
import type { ChatRequest } from './canonical/chat.js';
import { createStreamAccumulator, type StreamEvent } from './canonical/stream-event.js';
import { unsupportedContent } from './inbound/unsupported-content.js';
import { createOpenAIResponsesStreamEncoder, decodeOpenAIResponsesRequest, encodeOpenAIResponsesResponse } from './openai/openai-responses.codec.js';
import { createOpenAIResponsesPassthroughParser, decodeOpenAIResponsesResponse } from './openai/openai-responses.decode.js';
import { openaiAdapter } from './openai/openai.adapter.js';
import { SseDecoder, formatSse } from './wire/sse.js';

// OpenAI's local tools (ADR 0038): `shell`, `local_shell` and `apply_patch`, run by the
// application, called in Responses items of their own. The request reaches OpenAI only as the
// client's body, their texts scanned as unread texts; their calls are read into canonical calls
// whose arguments are the items' members, and written back as the same items.
const action = { commands: ['ls -la', 'cat notes.txt'], timeout_ms: 5000, max_output_length: null };
const history = [
  { role: 'user', content: 'What is in my notes?' },
  { type: 'shell_call', id: 'sh_1', call_id: 'call_1', action, status: 'completed' },
  { type: 'shell_call_output', call_id: 'call_1', max_output_length: null, output: [{ stdout: 'call Ann at 555-0100', stderr: '', outcome: { type: 'exit', exit_code: 0 } }] },
  { type: 'apply_patch_call', id: 'apc_1', call_id: 'call_2', operation: { type: 'delete_file', path: 'old.txt' }, status: 'completed' },
  { type: 'apply_patch_call_output', call_id: 'call_2', status: 'failed', output: 'old.txt: no such file' },
  { type: 'local_shell_call', id: 'lsh_1', call_id: 'call_3', action: { type: 'exec', command: ['pwd'], env: { HOME: '/home/ann' } }, status: 'completed' },
  { type: 'local_shell_call_output', id: 'call_3', output: '/home/ann' },
];

const aws = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

/** Every adapter refuses to write `req` (the way to a translated request), saying `why`. */
async function refusedByEveryAdapter(req: ChatRequest, why: string): Promise<void> {
  for (const [kind, adapter] of Object.entries(providerAdapters)) {
    const deployment = { provider: kind, model: 'm', apiKey: 'k', baseUrl: 'https://example.com', region: 'us-east-1', aws } as Deployment;
    await expect(prepareRequest(adapter, req, deployment, new Date(0)), kind).rejects.toThrow(expect.objectContaining({ code: 'TOTRA_PROVIDER_UNSUPPORTED', message: expect.stringContaining(why) }));
  }
}

describe('local tools in requests', () => {
  it('are noted by type, not translated, and every text in their calls and outputs is kept to be scanned', () => {
    const req = decodeOpenAIResponsesRequest({ model: 'gpt-5.1', input: history, tools: [{ type: 'shell' }, { type: 'apply_patch' }, { type: 'local_shell' }] });
    expect(req.localTools?.slice().sort()).toEqual(['apply_patch', 'local_shell', 'shell']);
    expect(req.tools).toBeUndefined();
    expect(req.messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'What is in my notes?' }] }]);
    expect(req.unreadTexts).toEqual(expect.arrayContaining(['ls -la', 'cat notes.txt', 'call Ann at 555-0100', 'old.txt', 'old.txt: no such file', 'pwd', '/home/ann']));
    expect(req.unreadTexts).not.toContain('call_1');
  });

  it('keep function tools beside them, and a tool choice naming one travels in the body only', () => {
    const fn = { type: 'function', name: 'lookup', parameters: { type: 'object', properties: {} } };
    const named = decodeOpenAIResponsesRequest({ model: 'm', input: 'Hi', tools: [fn, { type: 'shell' }], tool_choice: { type: 'shell' } });
    expect(named.tools?.map((t) => t.name)).toEqual(['lookup']);
    expect(named.toolChoice).toBeUndefined();
    expect(named.localTools).toEqual(['shell']);
    const allowed = decodeOpenAIResponsesRequest({ model: 'm', input: 'Hi', tools: [fn, { type: 'apply_patch' }], tool_choice: { type: 'allowed_tools', mode: 'auto', tools: [{ type: 'function', name: 'lookup' }, { type: 'apply_patch' }] } });
    expect(allowed.toolChoice).toBeUndefined();
    const functionsOnly = decodeOpenAIResponsesRequest({ model: 'm', input: 'Hi', tools: [fn, { type: 'apply_patch' }], tool_choice: { type: 'allowed_tools', mode: 'required', tools: [{ type: 'function', name: 'lookup' }] } });
    expect(functionsOnly.toolChoice).toEqual({ type: 'allowed', mode: 'required', names: ['lookup'] });
    expect(() => decodeOpenAIResponsesRequest({ model: 'm', input: 'Hi', tools: [fn], tool_choice: { type: 'allowed_tools', mode: 'auto', tools: [{ type: 'shell' }, { type: 'function', name: 'nope' }] } })).toThrow(
      expect.objectContaining({ param: 'tool_choice.tools.1' }),
    );
  });

  it('refuse a shell in a hosted container, naming the member, and a local environment is served', () => {
    expect(() => decodeOpenAIResponsesRequest({ model: 'm', input: 'Hi', tools: [{ type: 'shell', environment: { type: 'container_reference', container_id: 'cntr_1' } }] })).toThrow(
      expect.objectContaining({ param: 'tools.0.environment', message: expect.stringContaining('hosted container (`environment.type` "container_reference")') }),
    );
    expect(decodeOpenAIResponsesRequest({ model: 'm', input: 'Hi', tools: [{ type: 'shell', environment: { type: 'local' } }] }).localTools).toEqual(['shell']);
    // Provider-run tools stay refused, and the refusal names what is served.
    expect(unsupportedContent({ tools: [{ type: 'code_interpreter' }] }, 'openai-responses')?.message).toContain('the local tools `shell`, `local_shell`, `apply_patch` and computer use');
  });

  it('are never written by an adapter: only the client’s own Responses body carries them', async () => {
    const req = decodeOpenAIResponsesRequest({ model: 'm', input: history, tools: [{ type: 'shell' }] });
    await refusedByEveryAdapter(req, "the local tool `shell` is served through OpenAI's and Azure OpenAI's Responses API only");
  });

  it("go as the client's body with a budget's lower output limit written in", () => {
    const passthrough = openaiAdapter.passthroughs?.find((p) => p.inbound === 'openai-responses');
    expect(passthrough?.takesOutputLimit).toBe(true);
    const parsed = { model: 'gpt-5.1', input: history, tools: [{ type: 'shell' }], max_output_tokens: 4000 };
    const built = passthrough?.buildRequest({ raw: JSON.stringify(parsed), parsed, maxOutputTokens: 250 }, { provider: 'openai', model: 'gpt-5.1', apiKey: 'k' });
    expect(JSON.parse(built?.body as string)).toEqual({ ...parsed, store: false, max_output_tokens: 250 });
  });
});

describe('compaction items', () => {
  const input = [{ type: 'compaction', encrypted_content: 'gAAAAB-opaque' }, { role: 'user', content: 'And then?' }];

  it('go to OpenAI only, in the client’s body, and are never translated', async () => {
    const req = decodeOpenAIResponsesRequest({ model: 'gpt-5.5', input });
    expect(req.compacted).toBe(true);
    expect(req.messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'And then?' }] }]);
    expect(req.unreadTexts).toBeUndefined();
    await refusedByEveryAdapter(req, "a compaction item (OpenAI's encrypted summary of earlier turns) is read by OpenAI only");
  });

  it('and a reference to a stored item is refused, naming it', () => {
    expect(() => decodeOpenAIResponsesRequest({ model: 'gpt-5.5', input: [{ role: 'user', content: 'Hi' }, { type: 'item_reference', id: 'msg_1' }] })).toThrow(
      expect.objectContaining({ param: 'input.1', message: expect.stringContaining('an item_reference is not supported: the gateway stores no responses') }),
    );
  });
});

describe('computer use', () => {
  const screenshot = `data:image/png;base64,${'iVBORw0KGgo'.repeat(50)}`;
  const input = [
    { role: 'user', content: 'Sign me up with ann@example.com.' },
    { type: 'computer_call', id: 'cu_1', call_id: 'c1', action: { type: 'type', text: 'ann@example.com' }, pending_safety_checks: [], status: 'completed' },
    { type: 'computer_call_output', call_id: 'c1', output: { type: 'computer_screenshot', image_url: screenshot } },
  ];

  it('is a local tool: its typed text is scanned, its screenshot carried as it came, not read as text', () => {
    const req = decodeOpenAIResponsesRequest({ model: 'computer-use-preview', input, tools: [{ type: 'computer_use_preview', display_width: 1024, display_height: 768, environment: 'browser' }] });
    expect(req.localTools?.slice().sort()).toEqual(['computer', 'computer_use_preview']);
    expect(req.unreadTexts).toContain('ann@example.com');
    expect(req.unreadTexts).not.toContain(screenshot);
    expect(req.unreadTexts?.some((t) => t.startsWith('data:'))).toBe(false);
    expect(decodeOpenAIResponsesRequest({ model: 'gpt-5.5', input: 'Open the page.', tools: [{ type: 'computer' }] }).localTools).toEqual(['computer']);
  });

  it("calls come back as computer_call items, the action the item's members", () => {
    const call = { type: 'computer_call', id: 'cu_9', call_id: 'c9', action: { type: 'click', x: 10, y: 20, button: 'left' }, pending_safety_checks: [], status: 'completed' };
    const res = decodeOpenAIResponsesResponse(JSON.stringify({ id: 'resp_1', object: 'response', created_at: 1, model: 'm', status: 'completed', output: [call], usage: null }));
    expect(res.toolCalls).toEqual([{ id: 'c9', name: 'computer', arguments: JSON.stringify({ action: call.action, pending_safety_checks: [] }), item: 'computer_call' }]);
    expect(encodeOpenAIResponsesResponse(res)['output']).toEqual([{ ...call, id: 'cu_c9' }]);
  });
});

describe("Anthropic's calls written back as they came", () => {
  it("keep a toolset's name and the caller, and a call of another provider is a direct one", () => {
    const block = { type: 'tool_use', id: 't1', name: 'left_click', input: { coordinate: [1, 2] }, caller: { type: 'direct' }, toolset_name: 'computer' };
    const answer = { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-opus-5-5', content: [block], stop_reason: 'tool_use', usage: { input_tokens: 3, output_tokens: 4 } };
    const res = anthropicAdapter.parseResponse(200, JSON.stringify(answer));
    expect(res.toolCalls).toEqual([{ id: 't1', name: 'left_click', arguments: '{"coordinate":[1,2]}', members: { caller: { type: 'direct' }, toolset_name: 'computer' } }]);
    expect(encodeAnthropicResponse(res)['content']).toEqual([block]);
    const events = [...anthropicAdapter.createStreamParser().push(formatSse(JSON.stringify({ type: 'content_block_start', index: 0, content_block: { ...block, input: {} } }), 'content_block_start'))];
    expect(events).toContainEqual(expect.objectContaining({ type: 'tool_call_start', id: 't1', members: { caller: { type: 'direct' }, toolset_name: 'computer' } }));
    const encoder = createAnthropicStreamEncoder();
    const written = [{ type: 'message_start', id: 'm', model: 'x', created: 0 } as const, ...events].map((e) => encoder.push(e)).join('');
    expect(written).toContain('"content_block":{"type":"tool_use","id":"t1","name":"left_click","input":{},"caller":{"type":"direct"},"toolset_name":"computer"}');
    // A call from OpenAI, say, answered to an Anthropic client.
    expect(encodeAnthropicResponse({ ...res, toolCalls: [{ id: 'c1', name: 'f', arguments: '{}' }] })['content']).toEqual([{ type: 'tool_use', id: 'c1', name: 'f', input: {}, caller: { type: 'direct' } }]);
  });
});

describe('local tool calls in answers', () => {
  const call = { type: 'shell_call', id: 'sh_9', call_id: 'call_9', action, environment: null, status: 'completed' };
  const patch = { type: 'apply_patch_call', id: 'apc_9', call_id: 'call_8', operation: { type: 'create_file', path: 'a.txt', diff: '+hello\n' }, status: 'completed' };
  const answer = { id: 'resp_1', object: 'response', created_at: 1, model: 'gpt-5.1', status: 'completed', output: [call, patch], usage: null };

  it('are read into calls whose arguments are the items’ members, and written back as the same items', () => {
    const res = decodeOpenAIResponsesResponse(JSON.stringify(answer));
    expect(res.toolCalls).toEqual([
      { id: 'call_9', name: 'shell', arguments: JSON.stringify({ action, environment: null }), item: 'shell_call' },
      { id: 'call_8', name: 'apply_patch', arguments: JSON.stringify({ operation: patch.operation }), item: 'apply_patch_call' },
    ]);
    expect(res.finishReason).toBe('tool_calls');
    expect(encodeOpenAIResponsesResponse(res)['output']).toEqual([
      { ...call, id: 'sh_call_9' },
      { ...patch, id: 'apc_call_8' },
    ]);
  });

  it("stream from OpenAI's events as whole calls, and are written as items announced with their members", () => {
    const frames = [
      { type: 'response.created', response: { ...answer, status: 'in_progress', output: [] } },
      { type: 'response.output_item.added', output_index: 0, item: { ...call, action: { ...action, commands: [] }, status: 'in_progress' } },
      { type: 'response.shell_call_command.added', output_index: 0, command_index: 0, command: '' },
      { type: 'response.shell_call_command.delta', output_index: 0, command_index: 0, delta: 'ls -la' },
      { type: 'response.shell_call_command.done', output_index: 0, command_index: 0, command: 'ls -la' },
      { type: 'response.output_item.done', output_index: 0, item: call },
      { type: 'response.completed', response: answer },
    ];
    const wire = frames.map((f, i) => formatSse(JSON.stringify({ ...f, sequence_number: i }), f.type)).join('');
    const parser = createOpenAIResponsesPassthroughParser(() => 'TOTRA_PROVIDER_UNAVAILABLE');
    const pushed = parser.push(wire);
    expect(pushed.forward).toBe(wire);
    const events: StreamEvent[] = [...pushed.events, ...parser.end().events];
    expect(events.filter((e) => e.type === 'tool_call_start' || e.type === 'tool_call_delta')).toEqual([
      { type: 'tool_call_start', index: 0, id: 'call_9', name: 'shell', item: 'shell_call' },
      { type: 'tool_call_delta', index: 0, argumentsDelta: JSON.stringify({ action, environment: null }) },
    ]);
    const accumulator = createStreamAccumulator();
    accumulator.pushAll(events);
    expect(accumulator.result().toolCalls).toEqual([{ id: 'call_9', name: 'shell', arguments: JSON.stringify({ action, environment: null }), item: 'shell_call' }]);

    const encoder = createOpenAIResponsesStreamEncoder({ model: 'gpt-5.1' });
    const written = events.map((e) => encoder.push(e)).join('') + encoder.end();
    const sent = new SseDecoder().push(written).map((m) => JSON.parse(m.data) as { type: string; item?: unknown; response?: { output: unknown[] } });
    const item = { ...call, id: 'sh_call_9' };
    expect(sent.filter((e) => e.type.startsWith('response.output_item'))).toEqual([
      expect.objectContaining({ type: 'response.output_item.added', output_index: 0, item: { ...item, status: 'in_progress' } }),
      expect.objectContaining({ type: 'response.output_item.done', output_index: 0, item }),
    ]);
    expect(sent.at(-1)?.response?.output).toEqual([item]);
    expect(written).not.toContain('function_call');
  });
});

// Anthropic's client tools (ADR 0040): bash, the text editor, computer use and memory, declared by
// a versioned type and their fixed name; their calls and results are ordinary tool_use and
// tool_result blocks. Only Claude serves them, in the client's own body.
describe("Anthropic's client tools", () => {
  const body = {
    model: 'claude-sonnet-4-5',
    max_tokens: 4096,
    tools: [
      { type: 'bash_20250124', name: 'bash' },
      { type: 'memory_20250818', name: 'memory' },
      { name: 'lookup', input_schema: { type: 'object', properties: {} } },
    ],
    messages: [
      { role: 'user', content: 'List the files.' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'bash', input: { command: 'ls' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'a.txt' }] },
    ],
  };

  it('are noted by type, custom tools kept beside them, and their calls read as ordinary calls', () => {
    const req = decodeAnthropicRequest(body);
    expect(req.localTools).toEqual(['bash_20250124', 'memory_20250818']);
    expect(req.tools?.map((t) => t.name)).toEqual(['lookup']);
    expect(req.messages[1]).toEqual({ role: 'assistant', content: [], toolCalls: [{ id: 't1', name: 'bash', arguments: '{"command":"ls"}' }] });
    expect(req.messages[2]).toMatchObject({ role: 'tool', toolCallId: 't1', name: 'bash' });
  });

  it('are never translated: every adapter refuses them, saying only Claude serves them', async () => {
    await refusedByEveryAdapter(decodeAnthropicRequest(body), "Anthropic's client tool `bash_20250124` is served by Claude only");
  });

  it('take the toolsets too, and leave server tools refused, saying why', () => {
    expect(unsupportedContent({ tools: [{ type: 'code_execution_20250825', name: 'code_execution' }] }, 'anthropic-messages')?.message).toContain(
      "the gateway serves custom tools and Anthropic's client tools (bash, the text editor, computer use, memory, and the computer and browser toolsets)",
    );
    expect(unsupportedContent({ tools: [{ type: 'browser_toolset_20260801' }] }, 'anthropic-messages')).toBeUndefined();
    const toolsets = decodeAnthropicRequest({ ...body, tools: [{ type: 'computer_toolset_20260801', configs: { zoom: { enabled: false } } }, { type: 'browser_toolset_20260801' }] });
    expect(toolsets.localTools).toEqual(['computer_toolset_20260801', 'browser_toolset_20260801']);
    expect(() => decodeAnthropicRequest({ ...body, tools: [{ type: 'bash_20250124', name: 'bash' }, { type: 'web_fetch_20250910', name: 'web_fetch' }] })).toThrow(
      expect.objectContaining({ param: 'tools.1' }),
    );
  });

  it("go as the client's body with a budget's lower output limit, to Anthropic and to Claude on Bedrock", () => {
    const thinking = { ...body, thinking: { type: 'enabled', budget_tokens: 2048 } };
    expect(limitMessagesBody(thinking, 3000)).toEqual({ ...thinking, max_tokens: 3000 });
    expect(limitMessagesBody(thinking, 1500)).toEqual({ ...thinking, max_tokens: 1500, thinking: { type: 'enabled', budget_tokens: 1499 } });
    const { thinking: _dropped, ...without } = thinking;
    expect(limitMessagesBody(thinking, 900)).toEqual({ ...without, max_tokens: 900 });

    expect(anthropicAdapter.passthrough?.takesOutputLimit).toBe(true);
    const direct = anthropicAdapter.passthrough?.buildRequest({ raw: JSON.stringify(body), parsed: body, maxOutputTokens: 300 }, { provider: 'anthropic', model: 'claude-sonnet-4-5', apiKey: 'k' });
    expect(JSON.parse(direct?.body as string)).toEqual({ ...body, max_tokens: 300 });
    const invoke = bedrockAdapter.passthroughs?.find((p) => p.inbound === 'anthropic-messages');
    expect(invoke?.takesOutputLimit).toBe(true);
    const onBedrock = invoke?.buildRequest({ raw: JSON.stringify(body), parsed: body, maxOutputTokens: 300 }, { provider: 'bedrock', model: 'anthropic.claude-sonnet-4-5-20250929-v1:0', region: 'us-east-1', aws } as Deployment);
    expect(JSON.parse(onBedrock?.body as string)).toMatchObject({ max_tokens: 300, tools: body.tools });
  });
});
