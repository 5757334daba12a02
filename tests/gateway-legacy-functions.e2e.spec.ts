import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sdkClients, startHarness, type Harness } from './support/gateway-harness.js';

// OpenAI's deprecated function calling (`functions`, `function_call`, `role: "function"`; ADR
// 0043), which older apps and frameworks still send. Through the gateway with the official SDK,
// streamed or not: OpenAI gets the client's own body and answers in kind; Claude and Gemini get
// tools and tool results, one call at a time; every client gets its call back as `function_call`,
// with the caller's personal data restored in its arguments.
describe('deprecated function calling through the gateway', () => {
  let h: Harness;
  let openai: OpenAI;
  const email = 'jane.doe@example.com';
  const functions: OpenAI.Chat.ChatCompletionCreateParams.Function[] = [
    { name: 'find_orders', description: 'Finds the orders of a customer', parameters: { type: 'object', properties: { email: { type: 'string' } }, required: ['email'] } },
    { name: 'get_time', parameters: { type: 'object', properties: {} } },
  ];
  const ask = { role: 'user' as const, content: `Find the orders of ${email}.` };
  // The model answers with the placeholder it was shown; the client must get the address back.
  const call = { name: 'find_orders', arguments: '{"email":"<EMAIL_1>"}', id: 'call_orders' };
  const restored = JSON.stringify({ email });
  const mocks = ['openai', 'anthropic', 'gemini'] as const;

  beforeAll(async () => {
    h = await startHarness();
    openai = sdkClients(h).openai;
  });
  afterEach(() => {
    for (const m of mocks) h.mocks[m].setBehaviour({ toolCalls: undefined });
  });
  afterAll(async () => {
    await h?.close();
  });

  const sentBody = (mock: (typeof mocks)[number]): Record<string, unknown> => h.mocks[mock].requests.at(-1)?.body as Record<string, unknown>;

  /** The function call and finish reason of a streamed answer, and whether any chunk carried tool_calls. */
  const collect = async (stream: AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>) => {
    let name = '';
    let args = '';
    let finish: string | null = null;
    let toolCalls = false;
    let pieces = 0;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      if (!choice) continue;
      if (choice.delta.tool_calls) toolCalls = true;
      const fc = choice.delta.function_call;
      if (fc?.name) name += fc.name;
      if (fc?.arguments) {
        args += fc.arguments;
        pieces++;
      }
      if (choice.finish_reason) finish = choice.finish_reason;
    }
    return { name, args, finish, toolCalls, pieces };
  };

  it('reaches OpenAI as the client sent it, and the call comes back as function_call with the caller’s data', async () => {
    h.mocks.openai.setBehaviour({ toolCalls: [call] });
    const res = await openai.chat.completions.create({ model: 'gpt-4o', messages: [ask], functions, function_call: { name: 'find_orders' } });
    const sent = sentBody('openai');
    expect(sent['functions']).toEqual(functions);
    expect(sent['function_call']).toEqual({ name: 'find_orders' });
    expect(sent['tools']).toBeUndefined();
    expect(JSON.stringify(sent['messages'])).not.toContain(email);
    expect(res.choices[0]?.finish_reason).toBe('function_call');
    expect(res.choices[0]?.message.function_call).toEqual({ name: 'find_orders', arguments: restored });
    expect(res.choices[0]?.message.tool_calls).toBeUndefined();
  });

  it('streams OpenAI’s function call, as it came or restored', async () => {
    h.mocks.openai.setBehaviour({ toolCalls: [{ name: 'get_time', arguments: '{"zone":"Europe/Zurich"}' }], chunks: 3 });
    const plain = await collect(await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'What time is it?' }], functions, stream: true }));
    expect(plain).toMatchObject({ name: 'get_time', args: '{"zone":"Europe/Zurich"}', finish: 'function_call', toolCalls: false });
    expect(plain.pieces).toBeGreaterThan(1);

    h.mocks.openai.setBehaviour({ toolCalls: [call], chunks: 3 });
    const got = await collect(await openai.chat.completions.create({ model: 'gpt-4o', messages: [ask], functions, stream: true, stream_options: { include_usage: true } }));
    expect(got).toMatchObject({ name: 'find_orders', args: restored, finish: 'function_call', toolCalls: false });
  });

  it('reaches Claude and Gemini as tools, one call at a time, and their calls come back as function_call, streamed or not', async () => {
    for (const [model, mock] of [['claude-sonnet-4-5', 'anthropic'], ['gemini-2.5-flash', 'gemini']] as const) {
      h.mocks[mock].setBehaviour({ toolCalls: [call, { name: 'get_time', arguments: '{}' }] });
      const res = await openai.chat.completions.create({ model, messages: [ask], functions, function_call: 'auto' });
      const sent = sentBody(mock);
      if (mock === 'anthropic') {
        expect(sent['tools']).toEqual([
          { name: 'find_orders', description: 'Finds the orders of a customer', input_schema: functions[0]?.parameters },
          { name: 'get_time', input_schema: functions[1]?.parameters },
        ]);
        expect(sent['tool_choice']).toEqual({ type: 'auto', disable_parallel_tool_use: true });
      } else {
        expect(JSON.stringify(sent['tools'])).toContain('"name":"find_orders"');
      }
      expect(JSON.stringify(sent)).not.toContain(email);
      // Such a client takes one call: the first.
      expect(res.choices[0]?.message.function_call, model).toEqual({ name: 'find_orders', arguments: restored });
      expect(res.choices[0]?.message.tool_calls, model).toBeUndefined();
      expect(res.choices[0]?.finish_reason, model).toBe('function_call');

      h.mocks[mock].setBehaviour({ toolCalls: [call], chunks: 3 });
      const streamed = await collect(await openai.chat.completions.create({ model, messages: [ask], functions, stream: true }));
      expect(streamed, model).toMatchObject({ name: 'find_orders', args: restored, finish: 'function_call', toolCalls: false });
    }
  });

  it('carries a function call and its result in the history to every provider, pseudonymized', async () => {
    const history: OpenAI.ChatCompletionMessageParam[] = [
      ask,
      { role: 'assistant', content: null, function_call: { name: 'find_orders', arguments: restored } },
      { role: 'function', name: 'find_orders', content: `[{"id":17,"email":"${email}"}]` },
    ];
    const openaiRes = await openai.chat.completions.create({ model: 'gpt-4o', messages: history, functions });
    expect(openaiRes.choices[0]?.finish_reason).toBe('stop');
    const toOpenAI = (sentBody('openai')['messages'] as Record<string, unknown>[]).slice(1);
    expect(toOpenAI).toEqual([
      { role: 'assistant', content: null, function_call: { name: 'find_orders', arguments: '{"email":"<EMAIL_1>"}' } },
      { role: 'function', name: 'find_orders', content: '[{"id":17,"email":"<EMAIL_1>"}]' },
    ]);

    await openai.chat.completions.create({ model: 'claude-sonnet-4-5', messages: history, functions });
    expect((sentBody('anthropic')['messages'] as unknown[]).slice(1)).toEqual([
      { role: 'assistant', content: [{ type: 'tool_use', id: 'call_fn_1', name: 'find_orders', input: { email: '<EMAIL_1>' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_fn_1', content: '[{"id":17,"email":"<EMAIL_1>"}]' }] },
    ]);

    await openai.chat.completions.create({ model: 'gemini-2.5-flash', messages: history, functions });
    const contents = JSON.stringify(sentBody('gemini')['contents']);
    expect(contents).toContain('"functionCall":{"name":"find_orders"');
    expect(contents).toContain('"functionResponse":{"name":"find_orders"');
    expect(contents).not.toContain(email);
  });

  it('answers a 400 that says what is wrong, and never calls the provider', async () => {
    const before = h.mocks.openai.requests.length;
    const cases: [Partial<OpenAI.Chat.ChatCompletionCreateParamsNonStreaming>, RegExp][] = [
      [{ function_call: 'auto' }, /'function_call' is only allowed when 'functions' are specified/],
      [{ functions, tools: [{ type: 'function', function: { name: 'f' } }] }, /functions and tools cannot be combined/],
      [{ functions, function_call: { name: 'send_mail' } }, /"send_mail", which is not one of the request's functions/],
    ];
    for (const [members, message] of cases) {
      const err = await openai.chat.completions.create({ model: 'gpt-4o', messages: [ask], ...members }).catch((e: unknown) => e);
      expect(err, JSON.stringify(members)).toBeInstanceOf(OpenAI.BadRequestError);
      expect((err as InstanceType<typeof OpenAI.BadRequestError>).message).toMatch(message);
    }
    expect(h.mocks.openai.requests.length).toBe(before);
  });
});
