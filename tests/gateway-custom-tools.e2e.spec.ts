import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './support/gateway-harness.js';

// OpenAI's custom tools (ADR 0036): the model writes a tool's input as free text, in a plain or
// grammar format. Through the gateway with the official SDK, in Chat Completions and Responses,
// streamed or not, with the caller's personal data pseudonymized on the way out and restored in
// the tool's input on the way back; refused, saying why, for a provider that has no such tools.
describe('custom tools through the gateway', () => {
  let h: Harness;
  let openai: OpenAI;
  const email = 'jane.doe@example.com';
  const definition = 'start: "SELECT " /[a-z*, ]+/';
  const grammar = { type: 'grammar' as const, grammar: { syntax: 'lark' as const, definition } };
  const tools: OpenAI.ChatCompletionTool[] = [
    { type: 'custom', custom: { name: 'run_sql', description: 'Runs one SQL query', format: grammar } },
    { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: {} } } },
  ];
  const messages = [{ role: 'user' as const, content: `Find the orders of ${email}.` }];
  const query = "SELECT id, total FROM orders WHERE email = '<EMAIL_1>'";
  const restored = `SELECT id, total FROM orders WHERE email = '${email}'`;

  beforeAll(async () => {
    h = await startHarness();
    openai = new OpenAI({ apiKey: h.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
  });
  afterEach(() => {
    h.mocks.openai.setBehaviour({ toolCalls: undefined });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('reaches OpenAI as declared, and its call comes back as a custom call with the caller’s data in its input', async () => {
    h.mocks.openai.setBehaviour({ toolCalls: [{ name: 'run_sql', arguments: query, custom: true, id: 'call_sql' }] });
    const res = await openai.chat.completions.create({ model: 'gpt-4o', messages, tools, tool_choice: { type: 'custom', custom: { name: 'run_sql' } } });
    const sent = h.mocks.openai.requests.at(-1)?.body as Record<string, unknown>;
    expect(sent['tools']).toEqual(tools);
    expect(sent['tool_choice']).toEqual({ type: 'custom', custom: { name: 'run_sql' } });
    expect(JSON.stringify(sent['messages'])).toContain('<EMAIL_1>');
    expect(JSON.stringify(sent['messages'])).not.toContain(email);
    expect(res.choices[0]?.finish_reason).toBe('tool_calls');
    expect(res.choices[0]?.message.tool_calls).toEqual([{ id: 'call_sql', type: 'custom', custom: { name: 'run_sql', input: restored } }]);
  });

  it('streams the call as custom input deltas, restored', async () => {
    h.mocks.openai.setBehaviour({ toolCalls: [{ name: 'run_sql', arguments: query, custom: true, id: 'call_sql' }], chunks: 4 });
    const stream = await openai.chat.completions.create({ model: 'gpt-4o', messages, tools, stream: true });
    let input = '';
    let start: unknown;
    let deltas = 0;
    for await (const chunk of stream) {
      for (const call of chunk.choices[0]?.delta.tool_calls ?? []) {
        if (call.id) start = { id: call.id, type: call.type, name: call.custom?.name };
        if (call.custom?.input) {
          input += call.custom.input;
          deltas++;
        }
        expect(call.function).toBeUndefined();
      }
    }
    expect(start).toEqual({ id: 'call_sql', type: 'custom', name: 'run_sql' });
    expect(input).toBe(restored);
    expect(deltas).toBeGreaterThan(1);
  });

  it('carries a custom call and its output in the history, and pseudonymizes its input', async () => {
    const history: OpenAI.ChatCompletionMessageParam[] = [
      ...messages,
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'custom', custom: { name: 'run_sql', input: `SELECT id FROM orders WHERE email = '${email}'` } }] },
      { role: 'tool', tool_call_id: 'call_1', content: '[17, 42]' },
    ];
    await openai.chat.completions.create({ model: 'gpt-4o', messages: history, tools });
    const sent = (h.mocks.openai.requests.at(-1)?.body as { messages: Record<string, unknown>[] }).messages;
    expect(sent[1]?.['tool_calls']).toEqual([{ id: 'call_1', type: 'custom', custom: { name: 'run_sql', input: "SELECT id FROM orders WHERE email = '<EMAIL_1>'" } }]);
    expect(sent[2]).toEqual({ role: 'tool', tool_call_id: 'call_1', content: '[17, 42]' });
  });

  it('works in the Responses API too, streamed or not', async () => {
    h.mocks.openai.setBehaviour({ toolCalls: [{ name: 'run_sql', arguments: query, custom: true, id: 'call_sql' }] });
    const responseTools: OpenAI.Responses.Tool[] = [{ type: 'custom', name: 'run_sql', description: 'Runs one SQL query', format: { type: 'grammar', syntax: 'lark', definition } }];
    const res = await openai.responses.create({ model: 'gpt-4o', input: messages[0]?.content ?? '', tools: responseTools });
    expect((h.mocks.openai.requests.at(-1)?.body as Record<string, unknown>)['tools']).toEqual(responseTools);
    expect(res.output.find((o) => o.type === 'custom_tool_call')).toMatchObject({ type: 'custom_tool_call', call_id: 'call_sql', name: 'run_sql', input: restored });

    const stream = await openai.responses.create({ model: 'gpt-4o', input: messages[0]?.content ?? '', tools: responseTools, stream: true });
    let streamed = '';
    let done: unknown;
    for await (const event of stream) {
      if (event.type === 'response.custom_tool_call_input.delta') streamed += event.delta;
      if (event.type === 'response.completed') done = event.response.output.find((o) => o.type === 'custom_tool_call');
    }
    expect(streamed).toBe(restored);
    expect(done).toMatchObject({ type: 'custom_tool_call', name: 'run_sql', input: restored });

    // The call and its output in the input of the next turn.
    await openai.responses.create({
      model: 'gpt-4o',
      input: [
        { role: 'user', content: messages[0]?.content ?? '' },
        { type: 'custom_tool_call', call_id: 'call_sql', name: 'run_sql', input: restored },
        { type: 'custom_tool_call_output', call_id: 'call_sql', output: '[17, 42]' },
      ],
      tools: responseTools,
    });
    const input = (h.mocks.openai.requests.at(-1)?.body as { input: Record<string, unknown>[] }).input;
    expect(input[1]).toMatchObject({ type: 'custom_tool_call', call_id: 'call_sql', input: query });
    expect(input[2]).toMatchObject({ type: 'custom_tool_call_output', call_id: 'call_sql', output: '[17, 42]' });
  });

  it('answers a 400 that says why for a provider without custom tools, and never calls it', async () => {
    const before = h.mocks.anthropic.requests.length;
    const err = await openai.chat.completions.create({ model: 'claude-sonnet-4-5', messages, tools }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).message).toMatch(/custom tools: anthropic takes function tools only, and this request declares the custom tool "run_sql"/);
    expect(h.mocks.anthropic.requests.length).toBe(before);
  });
});
