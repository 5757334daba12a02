import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createStreamGate } from '@totra/testing';
import { ALIAS, startHarness, type Harness, type MockName } from './support/gateway-harness.js';

// Streams are metered against their budget reservation: a provider that ignores `max_tokens`
// is cut where the reservation ends, and the client's stream still ends cleanly. And a
// streamed answer reports (and records) the same usage as the same answer not streamed.
describe('streaming metering', () => {
  let h: Harness;
  let openai: OpenAI;
  let anthropic: Anthropic;

  const TERMINAL = new Set(['RequestCompleted', 'RequestRejected', 'RequestFailed']);
  const eventFor = async (requestId: string) => (await h.events()).filter((e) => TERMINAL.has(e.type) && (e.data as { requestId?: string }).requestId === requestId);
  const spendFor = async (requestId: string) => (await h.events()).filter((e) => e.type === 'SpendRecorded' && (e.data as { requestId?: string }).requestId === requestId);

  // A long answer in many pieces; the mocks never stop at the client's max_tokens.
  const LONG = Array.from({ length: 400 }, (_v, i) => `w${String(i).padStart(3, '0')} `).join('');

  beforeAll(async () => {
    h = await startHarness();
    openai = new OpenAI({ apiKey: h.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    anthropic = new Anthropic({ apiKey: h.key, baseURL: h.url, maxRetries: 0 });
  });
  afterAll(async () => {
    await h?.close();
  });
  beforeEach(() => {
    for (const m of Object.values(h.mocks)) m.resetBehaviour();
  });

  it('cuts an OpenAI chat stream at max_tokens the provider ignores: finish_reason length, usage, [DONE]', async () => {
    expect(LONG.length).toBe(2_000);
    // The provider holds the rest of its answer after frame 10 (the cap is reached by frame 3):
    // the client's stream can only end if the gateway stopped reading at the cap.
    const gate = createStreamGate((f) => f.index === 10);
    h.mocks.openai.setBehaviour({ reply: LONG, chunks: 40, afterFrame: gate.afterFrame });
    let text = '';
    const finishes: (string | null)[] = [];
    let usage: OpenAI.CompletionUsage | null | undefined;
    let requestId = '';
    try {
      const { data: stream, response } = await openai.chat.completions
        .create({ model: 'gpt-4o', max_tokens: 20, stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'talk at length' }] })
        .withResponse();
      requestId = response.headers.get('x-request-id') ?? '';
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? '';
        if (chunk.choices[0]?.finish_reason) finishes.push(chunk.choices[0].finish_reason);
        if (chunk.usage) usage = chunk.usage;
      }
    } finally {
      gate.release();
    }
    // About 20 tokens of 4 characters: far less than the 2,000 characters the provider had.
    expect(text.length).toBeGreaterThan(40);
    expect(text.length).toBeLessThanOrEqual(20 * 4);
    expect(LONG.startsWith(text)).toBe(true);
    expect(finishes).toEqual(['length']);
    expect(usage?.completion_tokens).toBe(20);

    const [event] = await eventFor(requestId);
    expect(event?.type).toBe('RequestCompleted');
    expect(event?.data).toMatchObject({ finishReason: 'length', stream: true, tokens: { output: 20, estimated: false } });
    const [spend] = await spendFor(requestId);
    expect((spend?.data as { tokens: { output: number } } | undefined)?.tokens.output).toBe(20);
  });

  it('cuts an Anthropic Messages stream: stop_reason max_tokens, then message_stop', async () => {
    h.mocks.anthropic.setBehaviour({ reply: LONG, chunks: 40 });
    const stream = anthropic.messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 20, messages: [{ role: 'user', content: 'talk at length' }] });
    const types: string[] = [];
    for await (const e of stream) types.push(e.type);
    const final = await stream.finalMessage();
    const text = final.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
    expect(text.length).toBeGreaterThan(40);
    expect(text.length).toBeLessThanOrEqual(20 * 4);
    expect(final.stop_reason).toBe('max_tokens');
    expect(final.usage.output_tokens).toBe(20);
    expect(types.at(-2)).toBe('message_delta');
    expect(types.at(-1)).toBe('message_stop');
  });

  it('cuts a Responses stream translated from another provider: response.incomplete', async () => {
    h.mocks.anthropic.setBehaviour({ reply: LONG, chunks: 40 });
    const stream = await openai.responses.create({ model: 'claude-sonnet-4-5', max_output_tokens: 20, input: 'talk at length', stream: true });
    let text = '';
    let last: OpenAI.Responses.ResponseStreamEvent | undefined;
    for await (const e of stream) {
      if (e.type === 'response.output_text.delta') text += e.delta;
      last = e;
    }
    expect(text.length).toBeGreaterThan(40);
    expect(text.length).toBeLessThanOrEqual(20 * 4);
    expect(last?.type).toBe('response.incomplete');
    expect(last?.type === 'response.incomplete' ? last.response.incomplete_details?.reason : undefined).toBe('max_output_tokens');
  });

  it('leaves a stream that fits its cap untouched', async () => {
    h.mocks.openai.setBehaviour({ reply: 'a short answer', chunks: 4 });
    const stream = await openai.chat.completions.create({ model: 'gpt-4o', max_tokens: 20, stream: true, messages: [{ role: 'user', content: 'be brief' }] });
    let text = '';
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(text).toBe('a short answer');
    expect(finish).toBe('stop');
  });

  it.each(Object.keys(ALIAS) as MockName[])('%s: streamed usage equals non-streamed usage, to the client and in the events', async (name) => {
    const model = ALIAS[name];
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: `count the tokens of this prompt for ${name}, please` }];
    const plain = await openai.chat.completions.create({ model, messages }).withResponse();
    const { data: stream, response } = await openai.chat.completions.create({ model, messages, stream: true, stream_options: { include_usage: true } }).withResponse();
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe(plain.data.choices[0]?.message.content);
    expect(usage).toBeDefined();
    expect({ prompt: usage?.prompt_tokens, completion: usage?.completion_tokens, total: usage?.total_tokens }).toEqual({
      prompt: plain.data.usage?.prompt_tokens,
      completion: plain.data.usage?.completion_tokens,
      total: plain.data.usage?.total_tokens,
    });
    const [plainEvent] = await eventFor(plain.response.headers.get('x-request-id') ?? '');
    const [streamEvent] = await eventFor(response.headers.get('x-request-id') ?? '');
    expect(plainEvent?.type).toBe('RequestCompleted');
    expect(streamEvent?.type).toBe('RequestCompleted');
    const tokensOf = (e: typeof plainEvent) => (e?.data as { tokens: Record<string, unknown> }).tokens;
    expect(tokensOf(streamEvent)).toEqual(tokensOf(plainEvent));
    expect(tokensOf(streamEvent)).toMatchObject({ estimated: false });
  });
});
