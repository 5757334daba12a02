import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sdkClients, startHarness, type Harness } from './support/gateway-harness.js';

// Values the latest SDKs offer and older gateways refused: every reasoning effort (`none` of
// GPT-5.1, `xhigh`, `max`), the `original` image detail and the `allowed_tools` tool choice of
// OpenAI's, and Claude's adaptive thinking of Anthropic's; and the request rules of the latest
// models (Claude's by version, Gemini 3's thought signatures), which the mocks enforce. Each goes to OpenAI as sent, and
// to other providers as their nearest equivalent.
describe('options of the latest OpenAI and Anthropic APIs through the gateway', () => {
  let h: Harness;
  let openai: OpenAI;
  let anthropic: Anthropic;
  const user = [{ role: 'user' as const, content: 'How many primes are below 100?' }];

  beforeAll(async () => {
    // Three generations of Claude, each with its own request rules (ADR 0037), which the mock enforces.
    h = await startHarness({ env: { ANTHROPIC_MODELS: 'claude-sonnet-4-5,claude-opus-4-6,claude-opus-5-5', GEMINI_MODELS: 'gemini-2.5-flash,gemini-3.1-pro-preview' } });
    ({ openai, anthropic } = sdkClients(h));
  });
  afterAll(async () => {
    await h?.close();
  });

  it('reaches OpenAI as the client sent it, none and xhigh included', async () => {
    for (const effort of ['none', 'xhigh', 'max'] as const) {
      const res = await openai.chat.completions.create({ model: 'gpt-4o', messages: user, reasoning_effort: effort });
      expect(res.choices[0]?.message.content).toBeTruthy();
      expect((h.mocks.openai.requests.at(-1)?.body as Record<string, unknown>)['reasoning_effort']).toBe(effort);
    }
  });

  it('reaches Claude as a thinking budget, from Chat Completions and from Responses, and none as no thinking', async () => {
    await openai.chat.completions.create({ model: 'claude-sonnet-4-5', messages: user, reasoning_effort: 'xhigh' });
    const xhigh = h.mocks.anthropic.requests.at(-1)?.body as Record<string, unknown>;
    expect(xhigh['thinking']).toEqual({ type: 'enabled', budget_tokens: 32768 });
    expect(xhigh['max_tokens']).toBe(4096 + 32768);

    const res = await openai.responses.create({ model: 'claude-sonnet-4-5', input: 'How many primes are below 100?', reasoning: { effort: 'max' } });
    expect(res.output_text).toBeTruthy();
    expect((h.mocks.anthropic.requests.at(-1)?.body as Record<string, unknown>)['thinking']).toEqual({ type: 'enabled', budget_tokens: 49152 });

    await openai.chat.completions.create({ model: 'claude-sonnet-4-5', messages: user, reasoning_effort: 'none' });
    expect(h.mocks.anthropic.requests.at(-1)?.body).not.toHaveProperty('thinking');
  });

  it('reaches Gemini with thinking off for none', async () => {
    await openai.chat.completions.create({ model: 'gemini-2.5-flash', messages: user, reasoning_effort: 'none' });
    const sent = h.mocks.gemini.requests.at(-1)?.body as { generationConfig?: Record<string, unknown> };
    expect(sent.generationConfig?.['thinkingConfig']).toEqual({ thinkingBudget: 0, includeThoughts: false });
  });

  it("reaches Gemini 3 at its own thinking levels, every effort answered, and a client's budget as a budget", async () => {
    const sentThinking = () => (h.mocks.gemini.requests.at(-1)?.body as { generationConfig?: Record<string, unknown> }).generationConfig?.['thinkingConfig'];
    const levels: Record<string, unknown> = {};
    for (const effort of ['none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max'] as const) {
      // The mock refuses a level the model does not have, and a level with a budget, as Gemini does.
      const res = await openai.chat.completions.create({ model: 'gemini-3.1-pro-preview', messages: user, reasoning_effort: effort });
      expect(res.choices[0]?.message.content, effort).toBeTruthy();
      levels[effort] = (sentThinking() as { thinkingLevel?: string }).thinkingLevel;
    }
    expect(levels).toEqual({ none: 'low', minimal: 'low', low: 'low', medium: 'medium', high: 'high', xhigh: 'high', max: 'high' });
    await anthropic.messages.create({ model: 'gemini-3.1-pro-preview', max_tokens: 4096, thinking: { type: 'enabled', budget_tokens: 2048 }, messages: user });
    expect(sentThinking()).toEqual({ thinkingBudget: 2048, includeThoughts: true });
  });

  it('answers a level OpenAI does not have with a 400 that names the member and the levels', async () => {
    const before = h.mocks.openai.requests.length;
    const err = await openai.chat.completions
      .create({ model: 'gpt-4o', messages: user, reasoning_effort: 'extreme' as unknown as 'high' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).message).toMatch(/reasoning_effort: Invalid option: expected one of "none".*"max"/);
    expect(h.mocks.openai.requests.length).toBe(before);
  });

  it('takes the original image detail: to OpenAI as sent, to Claude as an image (it has no detail)', async () => {
    const image = { type: 'image_url' as const, image_url: { url: 'https://example.com/plan.png', detail: 'original' as const } };
    const messages = [{ role: 'user' as const, content: [{ type: 'text' as const, text: 'What does the plan show?' }, image] }];
    const res = await openai.chat.completions.create({ model: 'gpt-4o', messages });
    expect(res.choices[0]?.message.content).toBeTruthy();
    const toOpenAI = h.mocks.openai.requests.at(-1)?.body as { messages: { content: unknown[] }[] };
    expect(toOpenAI.messages[0]?.content[1]).toEqual(image);
    await openai.chat.completions.create({ model: 'claude-sonnet-4-5', messages });
    const toClaude = h.mocks.anthropic.requests.at(-1)?.body as { messages: { content: unknown[] }[] };
    expect(toClaude.messages[0]?.content[1]).toEqual({ type: 'image', source: { type: 'url', url: 'https://example.com/plan.png' } });
  });

  it('takes allowed_tools: to OpenAI as sent, to Claude as the allowed tools alone, from Chat Completions and Responses', async () => {
    const fn = (name: string) => ({ type: 'function' as const, function: { name, parameters: { type: 'object', properties: {} } } });
    const tools = [fn('get_weather'), fn('get_time'), fn('send_mail')];
    const tool_choice = { type: 'allowed_tools' as const, allowed_tools: { mode: 'required' as const, tools: [{ type: 'function', function: { name: 'get_weather' } }] } };
    await openai.chat.completions.create({ model: 'gpt-4o', messages: user, tools, tool_choice });
    const toOpenAI = h.mocks.openai.requests.at(-1)?.body as Record<string, unknown>;
    expect(toOpenAI['tool_choice']).toEqual(tool_choice);
    expect((toOpenAI['tools'] as unknown[]).length).toBe(3);

    await openai.chat.completions.create({ model: 'claude-sonnet-4-5', messages: user, tools, tool_choice });
    const toClaude = h.mocks.anthropic.requests.at(-1)?.body as { tools: { name: string }[]; tool_choice: unknown };
    expect(toClaude.tools.map((t) => t.name)).toEqual(['get_weather']);
    expect(toClaude.tool_choice).toEqual({ type: 'any' });

    await openai.responses.create({
      model: 'claude-sonnet-4-5',
      input: 'Weather?',
      tools: tools.map((t) => ({ type: 'function' as const, name: t.function.name, parameters: t.function.parameters, strict: false })),
      tool_choice: { type: 'allowed_tools', mode: 'auto', tools: [{ type: 'function', name: 'get_time' }, { type: 'function', name: 'send_mail' }] },
    });
    const fromResponses = h.mocks.anthropic.requests.at(-1)?.body as { tools: { name: string }[]; tool_choice: unknown };
    expect(fromResponses.tools.map((t) => t.name)).toEqual(['get_time', 'send_mail']);
    expect(fromResponses.tool_choice).toEqual({ type: 'auto' });

    const before = h.mocks.anthropic.requests.length;
    const err = await openai.chat.completions
      .create({ model: 'claude-sonnet-4-5', messages: user, tools, tool_choice: { ...tool_choice, allowed_tools: { mode: 'auto', tools: [{ type: 'function', function: { name: 'get_stock' } }] } } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).message).toMatch(/allowed_tools names "get_stock", which is not one of the request's tools/);
    expect(h.mocks.anthropic.requests.length).toBe(before);
  });

  it("takes Claude's adaptive thinking: to Claude as sent, to OpenAI as the model's default", async () => {
    const thinking = { type: 'adaptive' as const, display: 'omitted' as const };
    const res = await anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 2000, messages: user, thinking });
    expect(res.content.length).toBeGreaterThan(0);
    expect((h.mocks.anthropic.requests.at(-1)?.body as Record<string, unknown>)['thinking']).toEqual(thinking);
    const toOpenAI = await anthropic.messages.create({ model: 'gpt-4o', max_tokens: 2000, messages: user, thinking });
    expect(toOpenAI.content.some((b) => b.type === 'text' && b.text.length > 0)).toBe(true);
    expect(h.mocks.openai.requests.at(-1)?.body).not.toHaveProperty('reasoning_effort');
  });

  it('writes sampling and reasoning as each Claude generation takes them, so the latest answer too', async () => {
    const sent = () => h.mocks.anthropic.requests.at(-1)?.body as Record<string, unknown>;
    const ask = (model: string, extra: Partial<OpenAI.ChatCompletionCreateParamsNonStreaming> = {}) =>
      openai.chat.completions.create({ model, messages: user, temperature: 0.7, top_p: 0.9, ...extra });
    // Claude 4.5: temperature or top_p, not both; reasoning as a thinking budget.
    await ask('claude-sonnet-4-5');
    expect(sent()).toMatchObject({ temperature: 0.7 });
    expect(sent()).not.toHaveProperty('top_p');
    // Claude 4.6: adaptive thinking at an effort level (no xhigh yet).
    await ask('claude-opus-4-6', { reasoning_effort: 'xhigh' });
    expect(sent()).toMatchObject({ thinking: { type: 'adaptive' }, output_config: { effort: 'high' } });
    // Claude 5.5 refuses every sampling parameter and thinking budget: none is sent.
    const res = await ask('claude-opus-5-5', { reasoning_effort: 'xhigh' });
    expect(res.choices[0]?.message.content).toBeTruthy();
    expect(sent()).toMatchObject({ thinking: { type: 'adaptive' }, output_config: { effort: 'xhigh' } });
    for (const p of ['temperature', 'top_p', 'top_k']) expect(sent()).not.toHaveProperty(p);
    // An Anthropic client's own body goes as it came (here an older SDK's, which still had a
    // temperature), and hears Claude's own refusal.
    const older = { model: 'claude-opus-5-5', max_tokens: 64, messages: user, temperature: 0.5 } as Anthropic.MessageCreateParamsNonStreaming;
    const refused = await anthropic.messages.create(older).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(Anthropic.BadRequestError);
    expect((refused as InstanceType<typeof Anthropic.BadRequestError>).message).toMatch(/`temperature` is deprecated for this model/);
  });

  it("carries a tool loop of an OpenAI client to Gemini 3, which checks the thought signatures it cannot keep", async () => {
    const tools: OpenAI.ChatCompletionTool[] = [{ type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: { zone: { type: 'string' } } } } }];
    h.mocks.gemini.setBehaviour({ toolCalls: [{ name: 'get_time', arguments: '{"zone":"Europe/Paris"}' }] });
    try {
      for (const model of ['gemini-3.1-pro-preview', 'gemini-2.5-flash']) {
        const first = await openai.chat.completions.create({ model, messages: user, tools });
        const call = first.choices[0]?.message.tool_calls?.[0];
        expect(call?.type === 'function' && call.function.name).toBe('get_time');
        h.mocks.gemini.setBehaviour({ toolCalls: undefined });
        // The second turn: the call as the client has it (no signature) and its result.
        const second = await openai.chat.completions.create({
          model,
          tools,
          messages: [...user, { role: 'assistant', content: null, tool_calls: call ? [call] : [] }, { role: 'tool', tool_call_id: call?.id ?? '', content: '10:42' }],
        });
        expect(second.choices[0]?.message.content).toBeTruthy();
        const sent = h.mocks.gemini.requests.at(-1)?.body as { contents: { parts: Record<string, unknown>[] }[] };
        const functionCall = sent.contents.flatMap((c) => c.parts).find((p) => p['functionCall'] !== undefined);
        if (model === 'gemini-2.5-flash') expect(functionCall).not.toHaveProperty('thoughtSignature');
        else expect(functionCall?.['thoughtSignature']).toBe('skip_thought_signature_validator');
        h.mocks.gemini.setBehaviour({ toolCalls: [{ name: 'get_time', arguments: '{"zone":"Europe/Paris"}' }] });
      }
    } finally {
      h.mocks.gemini.setBehaviour({ toolCalls: undefined });
    }
  });
});

