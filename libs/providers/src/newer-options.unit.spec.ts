import { describe, expect, it } from 'vitest';
import type { ReasoningEffort } from './canonical/chat.js';
import { anthropicAdapter } from './anthropic/anthropic.adapter.js';
import { decodeAnthropicRequest } from './anthropic/anthropic.codec.js';
import { prepareRequest, type Deployment } from './adapters/adapter.js';
import { providerAdapters } from './adapters/registry.js';
import { createStreamAccumulator } from './canonical/stream-event.js';
import { createOpenAIChatStreamEncoder } from './openai/openai-chat.codec.js';
import { createOpenAIResponsesStreamEncoder, encodeOpenAIResponsesResponse } from './openai/openai-responses.codec.js';
import { bedrockAdapter } from './bedrock/bedrock.adapter.js';
import { cohereAdapter } from './cohere/cohere.adapter.js';
import { mistralAdapter } from './mistral/mistral.adapter.js';
import { geminiAdapter, geminiChecksSignatures } from './gemini/gemini.adapter.js';
import { geminiThinkingConfig, geminiThinkingLevels, geminiVersion } from './gemini/gemini-models.js';
import { ollamaAdapter } from './ollama/ollama.adapter.js';
import { openaiAdapter } from './openai/openai.adapter.js';
import { decodeOpenAIChatRequest } from './openai/openai-chat.codec.js';
import { decodeOpenAIResponsesRequest } from './openai/openai-responses.codec.js';

// Values of the latest OpenAI API: every reasoning effort (`none` of GPT-5.1, `xhigh` and `max`
// of the latest models), the `original` image detail and the `allowed_tools` tool choice, read
// from Chat Completions and Responses clients alike; custom tools (ADR 0036); and Claude's
// adaptive thinking, from Anthropic clients. Each provider gets its nearest equivalent.
const bodyOf = (body: string | Uint8Array): Record<string, unknown> =>
  JSON.parse(typeof body === 'string' ? body : new TextDecoder().decode(body)) as Record<string, unknown>;
const chat = (effort: string) => ({ model: 'm', messages: [{ role: 'user', content: 'Think.' }], reasoning_effort: effort });
const EFFORTS: ReasoningEffort[] = ['none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max'];
/** A Chat Completions request whose history holds one tool call and its result. */
const afterCall = (question: string, call: { id: string } & Record<string, unknown>, result: string) =>
  decodeOpenAIChatRequest({
    model: 'm',
    messages: [
      { role: 'user', content: question },
      { role: 'assistant', content: null, tool_calls: [call] },
      { role: 'tool', tool_call_id: call.id, content: result },
    ],
  });
const aws = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

describe('reasoning effort', () => {
  it('is read at every level from Chat Completions and Responses requests', () => {
    for (const effort of EFFORTS) {
      expect(decodeOpenAIChatRequest(chat(effort)).reasoning).toEqual({ effort });
      expect(decodeOpenAIResponsesRequest({ model: 'm', input: 'Think.', reasoning: { effort } }).reasoning).toEqual({ effort });
    }
    expect(decodeOpenAIChatRequest({ ...chat('low'), reasoning_effort: null }).reasoning).toBeUndefined();
  });

  it('refuses a level OpenAI does not have, naming the member and the levels', () => {
    expect(() => decodeOpenAIChatRequest(chat('extreme'))).toThrow(/reasoning_effort: Invalid option: expected one of "none".*"max"/);
    expect(() => decodeOpenAIResponsesRequest({ model: 'm', input: 'x', reasoning: { effort: 'extreme' } })).toThrow(/reasoning\.effort/);
  });

  it('reaches OpenAI as the client sent it', () => {
    for (const effort of EFFORTS) {
      const body = bodyOf(openaiAdapter.buildRequest(decodeOpenAIChatRequest(chat(effort)), { provider: 'openai', model: 'gpt-5.1', apiKey: 'k' }).body);
      expect(body['reasoning_effort']).toBe(effort);
    }
  });

  it('reaches Claude as a thinking budget below max_tokens, and none as no thinking', () => {
    const claude = (effort: string, extra: Record<string, unknown> = {}) =>
      bodyOf(anthropicAdapter.buildRequest(decodeOpenAIChatRequest({ ...chat(effort), ...extra }), { provider: 'anthropic', model: 'claude-sonnet-4-5', apiKey: 'k' }).body);
    expect(claude('none')).not.toHaveProperty('thinking');
    expect(claude('none')['max_tokens']).toBe(4096);
    const budgets = Object.fromEntries(EFFORTS.filter((e) => e !== 'none').map((e) => [e, (claude(e)['thinking'] as { budget_tokens: number }).budget_tokens]));
    expect(budgets).toEqual({ minimal: 1024, low: 2048, medium: 8192, high: 24576, xhigh: 32768, max: 49152 });
    for (const effort of ['xhigh', 'max']) {
      const body = claude(effort, { max_completion_tokens: 1000 });
      expect(body['max_tokens']).toBe(1000 + budgets[effort]!);
      // Claude 4.5 writes at most 64,000 tokens: the largest budget fits with the default max_tokens.
      expect(claude(effort)['max_tokens']).toBeLessThanOrEqual(64_000);
    }
  });

  it('reaches Claude on Bedrock Converse with maxTokens above the budget, even when the client set none', () => {
    const deployment = { provider: 'bedrock' as const, model: 'anthropic.claude-sonnet-4-5-20250929-v1:0', region: 'us-east-1', aws };
    const converse = (effort: string, extra: Record<string, unknown> = {}) => bodyOf(bedrockAdapter.buildRequest(decodeOpenAIChatRequest({ ...chat(effort), ...extra }), deployment).body);
    const high = converse('high');
    expect(high['additionalModelRequestFields']).toEqual({ thinking: { type: 'enabled', budget_tokens: 24576 } });
    expect(high['inferenceConfig']).toEqual({ maxTokens: 4096 + 24576 });
    expect(converse('low', { max_completion_tokens: 30_000 })['inferenceConfig']).toEqual({ maxTokens: 30_000 });
    const none = converse('none');
    expect(none).not.toHaveProperty('additionalModelRequestFields');
    expect(none).not.toHaveProperty('inferenceConfig');
  });

  it("reaches Gemini as a thinking budget, none and minimal as thinking off", () => {
    const gemini = (effort: string) =>
      (bodyOf(geminiAdapter.buildRequest(decodeOpenAIChatRequest(chat(effort)), { provider: 'gemini', model: 'gemini-2.5-flash', apiKey: 'k' }).body)['generationConfig'] as Record<string, unknown>)['thinkingConfig'];
    expect(Object.fromEntries(EFFORTS.map((e) => [e, gemini(e)]))).toEqual({
      none: { thinkingBudget: 0, includeThoughts: false },
      minimal: { thinkingBudget: 0, includeThoughts: false },
      low: { thinkingBudget: 1024, includeThoughts: true },
      medium: { thinkingBudget: 8192, includeThoughts: true },
      high: { thinkingBudget: 24576, includeThoughts: true },
      xhigh: { thinkingBudget: 24576, includeThoughts: true },
      max: { thinkingBudget: 24576, includeThoughts: true },
    });
  });

  it("reaches Gemini 3 and later at the model's nearest thinking level, and Gemini 2.5 Pro at its least budget for none", () => {
    const thinking = (model: string) => (effort: string) =>
      (bodyOf(geminiAdapter.buildRequest(decodeOpenAIChatRequest(chat(effort)), { provider: 'gemini', model, apiKey: 'k' }).body)['generationConfig'] as Record<string, unknown>)['thinkingConfig'];
    const levels = (model: string) => Object.fromEntries(EFFORTS.map((e) => [e, (thinking(model)(e) as { thinkingLevel?: string }).thinkingLevel]));
    expect(levels('gemini-3-pro-preview')).toEqual({ none: 'low', minimal: 'low', low: 'low', medium: 'high', high: 'high', xhigh: 'high', max: 'high' });
    expect(levels('gemini-3.1-pro-preview')).toEqual({ none: 'low', minimal: 'low', low: 'low', medium: 'medium', high: 'high', xhigh: 'high', max: 'high' });
    expect(levels('models/gemini-3-flash-preview')).toEqual({ none: 'minimal', minimal: 'minimal', low: 'low', medium: 'medium', high: 'high', xhigh: 'high', max: 'high' });
    expect(thinking('gemini-3-flash-preview')('none')).toEqual({ thinkingLevel: 'minimal', includeThoughts: false });
    expect(thinking('gemini-3-flash-preview')('low')).toEqual({ thinkingLevel: 'low', includeThoughts: true });
    expect(thinking('gemini-2.5-pro')('none')).toEqual({ thinkingBudget: 128, includeThoughts: false });
    expect(thinking('gemini-2.5-pro')('high')).toEqual({ thinkingBudget: 24576, includeThoughts: true });
    // A budget the client set (Anthropic's budget_tokens) stays a budget, which Gemini 3 takes too.
    expect(geminiThinkingConfig('gemini-3-pro-preview', { budgetTokens: 2048 })).toEqual({ thinkingBudget: 2048, includeThoughts: true });
    expect(geminiThinkingConfig('gemini-3-pro-preview', { budgetTokens: 0 })).toEqual({ thinkingLevel: 'low', includeThoughts: false });
    expect(geminiThinkingConfig('gemini-3-pro-preview', { adaptive: true })).toEqual({ includeThoughts: true });
    expect(geminiVersion('gemini-3.1-flash-lite-preview')).toEqual({ major: 3, minor: 1, line: 'flash-lite' });
    expect(geminiThinkingLevels('gemini-2.5-flash')).toBeUndefined();
    expect(geminiThinkingLevels('gemini-4-pro')).toEqual(['low', 'medium', 'high']);
    expect(geminiVersion('gemma-3-27b-it')).toBeUndefined();
  });

  it('reaches Ollama as think, off for none', () => {
    const ollama = (effort: string) => bodyOf(ollamaAdapter.buildRequest(decodeOpenAIChatRequest(chat(effort)), { provider: 'ollama', model: 'qwen3' }).body)['think'];
    expect(EFFORTS.map(ollama)).toEqual([false, true, true, true, true, true, true]);
  });
});

describe('image detail', () => {
  it('takes original from Chat Completions and Responses requests, and writes it for OpenAI', () => {
    const url = 'https://example.com/plan.png';
    const fromChat = decodeOpenAIChatRequest({ model: 'm', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url, detail: 'original' } }] }] });
    const fromResponses = decodeOpenAIResponsesRequest({ model: 'm', input: [{ role: 'user', content: [{ type: 'input_image', image_url: url, detail: 'original' }] }] });
    for (const req of [fromChat, fromResponses]) {
      expect(req.messages[0]?.content).toEqual([{ type: 'image', source: { type: 'url', url }, detail: 'original' }]);
      const body = bodyOf(openaiAdapter.buildRequest(req, { provider: 'openai', model: 'gpt-5.1', apiKey: 'k' }).body) as { messages: { content: unknown[] }[] };
      expect(body.messages[0]?.content).toEqual([{ type: 'image_url', image_url: { url, detail: 'original' } }]);
    }
    expect(() => decodeOpenAIChatRequest({ model: 'm', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url, detail: 'huge' } }] }] })).toThrow(/detail/);
  });
});

describe('allowed tools', () => {
  const fn = (name: string) => ({ type: 'function', function: { name, parameters: { type: 'object', properties: {} } } });
  const tools = [fn('get_weather'), fn('get_time'), fn('send_mail')];
  const allowed = (mode: 'auto' | 'required', ...names: string[]) => ({ type: 'allowed_tools', allowed_tools: { mode, tools: names.map((name) => ({ type: 'function', function: { name } })) } });
  const request = (mode: 'auto' | 'required', ...names: string[]) => decodeOpenAIChatRequest({ model: 'm', messages: [{ role: 'user', content: 'Weather?' }], tools, tool_choice: allowed(mode, ...names) });

  it('is read from Chat Completions and Responses requests, every tool kept', () => {
    const fromChat = request('required', 'get_weather', 'get_time');
    expect(fromChat.toolChoice).toEqual({ type: 'allowed', mode: 'required', names: ['get_weather', 'get_time'] });
    expect(fromChat.tools?.map((t) => t.name)).toEqual(['get_weather', 'get_time', 'send_mail']);
    const fromResponses = decodeOpenAIResponsesRequest({
      model: 'm',
      input: 'Weather?',
      tools: [{ type: 'function', name: 'get_weather', parameters: {} }, { type: 'function', name: 'send_mail', parameters: {} }],
      tool_choice: { type: 'allowed_tools', mode: 'auto', tools: [{ type: 'function', name: 'get_weather' }] },
    });
    expect(fromResponses.toolChoice).toEqual({ type: 'allowed', mode: 'auto', names: ['get_weather'] });
  });

  it('refuses a name that is not one of the tools, naming the entry', () => {
    expect(() => request('auto', 'get_weather', 'get_stock')).toThrow(expect.objectContaining({ param: 'tool_choice.allowed_tools.tools.1', message: expect.stringMatching(/"get_stock", which is not one of the request's tools/) }));
    expect(() =>
      decodeOpenAIResponsesRequest({ model: 'm', input: 'x', tools: [{ type: 'function', name: 'a', parameters: {} }], tool_choice: { type: 'allowed_tools', mode: 'auto', tools: [{ type: 'function', name: 'b' }] } }),
    ).toThrow(expect.objectContaining({ param: 'tool_choice.tools.0' }));
    expect(() => decodeOpenAIChatRequest({ model: 'm', messages: [{ role: 'user', content: 'x' }], tools, tool_choice: allowed('auto') })).toThrow(/tool_choice/);
  });

  it('reaches the other providers as the allowed tools alone, with their own auto or required', () => {
    const names = (list: unknown) => (list as Record<string, unknown>[]).map((t) => JSON.stringify(t).match(/"name":"(\w+)"/)?.[1]);
    const req = request('required', 'get_weather', 'get_time');
    const anthropic = bodyOf(anthropicAdapter.buildRequest(req, { provider: 'anthropic', model: 'claude-sonnet-4-5', apiKey: 'k' }).body);
    expect(names(anthropic['tools'])).toEqual(['get_weather', 'get_time']);
    expect(anthropic['tool_choice']).toEqual({ type: 'any' });
    const gemini = bodyOf(geminiAdapter.buildRequest(req, { provider: 'gemini', model: 'gemini-2.5-flash', apiKey: 'k' }).body);
    expect(names((gemini['tools'] as { functionDeclarations: unknown }[])[0]?.functionDeclarations)).toEqual(['get_weather', 'get_time']);
    expect(gemini['toolConfig']).toEqual({ functionCallingConfig: { mode: 'ANY' } });
    const bedrock = bodyOf(bedrockAdapter.buildRequest(req, { provider: 'bedrock', model: 'amazon.nova-pro-v1:0', region: 'us-east-1', aws }).body);
    expect(names((bedrock['toolConfig'] as { tools: unknown }).tools)).toEqual(['get_weather', 'get_time']);
    expect((bedrock['toolConfig'] as { toolChoice: unknown }).toolChoice).toEqual({ any: {} });
    const cohere = bodyOf(cohereAdapter.buildRequest(req, { provider: 'cohere', model: 'command-a-03-2025', apiKey: 'k' }).body);
    expect(names(cohere['tools'])).toEqual(['get_weather', 'get_time']);
    expect(cohere['tool_choice']).toBe('REQUIRED');
    const ollama = bodyOf(ollamaAdapter.buildRequest(req, { provider: 'ollama', model: 'qwen3' }).body);
    expect(names(ollama['tools'])).toEqual(['get_weather', 'get_time']);
    // An OpenAI-format provider without allowed_tools (Mistral here) as well.
    const mistral = bodyOf(mistralAdapter.buildRequest(request('auto', 'send_mail'), { provider: 'mistral', model: 'mistral-large-latest', apiKey: 'k' }).body);
    expect(names(mistral['tools'])).toEqual(['send_mail']);
    expect(mistral['tool_choice']).toBe('auto');
  });
});

describe('adaptive thinking', () => {
  const claudeRequest = (thinking: unknown, extra: Record<string, unknown> = {}) =>
    decodeAnthropicRequest({ model: 'm', max_tokens: 1000, messages: [{ role: 'user', content: 'Think.' }], thinking, ...extra });

  it('is read from Anthropic requests, as is thinking between tool calls, display and all', () => {
    expect(claudeRequest({ type: 'adaptive' }).reasoning).toEqual({ adaptive: true });
    expect(claudeRequest({ type: 'adaptive', display: 'omitted' }).reasoning).toEqual({ adaptive: true });
    expect(claudeRequest({ type: 'between_tools' }).reasoning).toEqual({ adaptive: true });
    expect(claudeRequest({ type: 'enabled', budget_tokens: 2048, display: 'summarized' }).reasoning).toEqual({ budgetTokens: 2048 });
    expect(() => claudeRequest({ type: 'sometimes' })).toThrow(expect.objectContaining({ param: 'thinking.type' }));
  });

  it("reaches Claude, on Anthropic and Bedrock Converse, as adaptive thinking without a temperature, and others as their model's default", () => {
    const req = claudeRequest({ type: 'adaptive' }, { temperature: 0.2 });
    const anthropic = bodyOf(anthropicAdapter.buildRequest(req, { provider: 'anthropic', model: 'claude-opus-4-6', apiKey: 'k' }).body);
    expect(anthropic['thinking']).toEqual({ type: 'adaptive' });
    expect(anthropic).not.toHaveProperty('temperature');
    expect(anthropic['max_tokens']).toBe(1000);
    const converse = bodyOf(bedrockAdapter.buildRequest(req, { provider: 'bedrock', model: 'anthropic.claude-opus-4-6-v1', region: 'us-east-1', aws }).body);
    expect(converse['additionalModelRequestFields']).toEqual({ thinking: { type: 'adaptive' } });
    expect(converse['inferenceConfig']).toEqual({ maxTokens: 1000 });
    const openai = bodyOf(openaiAdapter.buildRequest(req, { provider: 'openai', model: 'gpt-5.1', apiKey: 'k' }).body);
    expect(openai).not.toHaveProperty('reasoning_effort');
    const gemini = bodyOf(geminiAdapter.buildRequest(req, { provider: 'gemini', model: 'gemini-2.5-flash', apiKey: 'k' }).body);
    expect((gemini['generationConfig'] as Record<string, unknown>)['thinkingConfig']).toEqual({ includeThoughts: true });
    expect(bodyOf(ollamaAdapter.buildRequest(req, { provider: 'ollama', model: 'qwen3' }).body)['think']).toBe(true);
  });
});

describe('custom tools', () => {
  const sql = { type: 'custom', custom: { name: 'run_sql', format: { type: 'grammar', grammar: { syntax: 'regex', definition: 'SELECT .+' } } } };
  const declared = decodeOpenAIChatRequest({ model: 'm', messages: [{ role: 'user', content: 'Orders?' }], tools: [sql] });
  const called = afterCall('Orders?', { id: 'c1', type: 'custom', custom: { name: 'run_sql', input: 'SELECT 1' } }, '1');

  it("are read as free-text tools and calls, the grammar as the Responses API writes it, and written back in each API's shape", () => {
    const flat = { type: 'grammar', syntax: 'regex', definition: 'SELECT .+' };
    expect(declared.tools).toEqual([{ type: 'function', name: 'run_sql', parameters: {}, custom: { format: flat } }]);
    const fromResponses = decodeOpenAIResponsesRequest({ model: 'm', input: 'Orders?', tools: [{ type: 'custom', name: 'run_sql', format: flat }] });
    expect(fromResponses.tools).toEqual(declared.tools);
    // A Responses request the gateway writes in Chat Completions nests the grammar again.
    const body = bodyOf(openaiAdapter.buildRequest(fromResponses, { provider: 'openai', model: 'gpt-5.1', apiKey: 'k' }).body);
    expect(body['tools']).toEqual([sql]);
    expect(called.messages[1]).toEqual({ role: 'assistant', content: [], toolCalls: [{ id: 'c1', name: 'run_sql', arguments: 'SELECT 1', custom: true }] });
  });

  it('reach OpenAI and Azure OpenAI only: every other adapter refuses them, naming the tool', async () => {
    const deployment = (provider: string): Deployment => ({ provider, model: 'm', apiKey: 'k', baseUrl: 'https://example.com', region: 'us-east-1', aws } as Deployment);
    for (const [kind, adapter] of Object.entries(providerAdapters)) {
      for (const [req, verb] of [[declared, 'declares'], [called, 'calls']] as const) {
        const attempt = prepareRequest(adapter, req, deployment(kind), new Date(0));
        if (kind === 'openai' || kind === 'azure-openai') {
          const body = JSON.parse((await attempt).body as string) as Record<string, unknown>;
          expect(JSON.stringify(body)).toContain(verb === 'declares' ? '"type":"custom","custom":{"name":"run_sql"' : '"type":"custom","custom":{"name":"run_sql","input":"SELECT 1"}');
        } else {
          await expect(attempt, kind).rejects.toThrow(expect.objectContaining({ code: 'TOTRA_PROVIDER_UNSUPPORTED', message: expect.stringContaining(`and this request ${verb} the custom tool "run_sql"`) }));
        }
      }
    }
  });

  it("stream from OpenAI's chunks to Chat Completions and Responses clients as custom calls", () => {
    const parser = openaiAdapter.createStreamParser();
    const sse = [
      { choices: [{ index: 0, delta: { role: 'assistant', content: null } }] },
      { choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: 'c1', type: 'custom', custom: { name: 'run_sql', input: '' } }] } }] },
      { choices: [{ index: 0, delta: { tool_calls: [{ index: 0, custom: { input: 'SELECT ' } }] } }] },
      { choices: [{ index: 0, delta: { tool_calls: [{ index: 0, custom: { input: '1' } }] } }] },
      { choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] },
    ]
      .map((c) => `data: ${JSON.stringify({ id: 'x', model: 'm', created: 1, ...c })}\n\n`)
      .join('');
    const events = [...parser.push(sse + 'data: [DONE]\n\n'), ...parser.end()];
    const accumulator = createStreamAccumulator();
    accumulator.pushAll(events);
    expect(accumulator.result().toolCalls).toEqual([{ id: 'c1', name: 'run_sql', arguments: 'SELECT 1', custom: true }]);

    const chat = createOpenAIChatStreamEncoder();
    const written = events.map((e) => chat.push(e)).join('') + chat.end();
    expect(written).toContain('"tool_calls":[{"index":0,"id":"c1","type":"custom","custom":{"name":"run_sql","input":""}}]');
    expect(written).toContain('"tool_calls":[{"index":0,"custom":{"input":"SELECT "}}]');
    expect(written).not.toContain('"function"');

    const responses = createOpenAIResponsesStreamEncoder();
    const sent = events.map((e) => responses.push(e)).join('') + responses.end();
    expect(sent).toContain('event: response.custom_tool_call_input.delta');
    expect(sent).toContain('"type":"response.custom_tool_call_input.done","sequence_number"');
    expect(sent).toContain('"input":"SELECT 1"');
    expect(sent).not.toContain('function_call');
    expect(encodeOpenAIResponsesResponse(accumulator.result())['output']).toEqual([
      { type: 'custom_tool_call', id: 'ctc_c1', call_id: 'c1', name: 'run_sql', input: 'SELECT 1', status: 'completed' },
    ]);
  });
});

describe("Gemini 3's thought signatures", () => {
  it('are checked from Gemini 3 on', () => {
    for (const model of ['gemini-3-flash-preview', 'gemini-3.1-pro-preview', 'models/gemini-3.8-flash', 'gemini-4-argon']) expect(geminiChecksSignatures(model), model).toBe(true);
    for (const model of ['gemini-2.5-pro', 'gemini-2.0-flash', 'models/gemini-1.5-pro', 'gemma-3-27b', 'my-gemini-3']) expect(geminiChecksSignatures(model), model).toBe(false);
  });

  it('are kept where the call kept one, and skipped where a client of another API could not keep it', () => {
    const history = afterCall('Time?', { id: 'c1', type: 'function', function: { name: 'get_time', arguments: '{}' } }, '10:42');
    const signed = { ...history, messages: history.messages.map((m) => (m.role === 'assistant' ? { ...m, toolCalls: (m.toolCalls ?? []).map((c) => ({ ...c, signature: 'c2ln' })) } : m)) };
    const calls = (req: typeof history, model: string) =>
      (bodyOf(geminiAdapter.buildRequest(req, { provider: 'gemini', model, apiKey: 'k' }).body)['contents'] as { parts: Record<string, unknown>[] }[])
        .flatMap((c) => c.parts)
        .filter((p) => p['functionCall'] !== undefined)
        .map((p) => p['thoughtSignature']);
    expect(calls(history, 'gemini-3.1-pro-preview')).toEqual(['skip_thought_signature_validator']);
    expect(calls(signed, 'gemini-3.1-pro-preview')).toEqual(['c2ln']);
    expect(calls(history, 'gemini-2.5-flash')).toEqual([undefined]);
  });
});

