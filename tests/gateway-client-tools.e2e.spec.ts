import Anthropic from '@anthropic-ai/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sdkClients, startHarness, type Harness } from './support/gateway-harness.js';

// Anthropic's client tools (ADR 0040): bash, the text editor, computer use and memory, which
// Anthropic defines and the application runs. Through the gateway with the official SDK, to
// Claude, streamed or not: declared as they came, the caller's personal data pseudonymized in
// the calls and results of the history and restored in the calls that come back; refused,
// saying why, for a model without a Claude deployment. The toolsets too, their calls keeping
// the name of their toolset.
describe("Anthropic's client tools through the gateway", () => {
  let h: Harness;
  let anthropic: Anthropic;
  const email = 'jane.doe@example.com';
  const prompt = `Find the orders of ${email} in orders.csv.`;
  const tools: Anthropic.ToolUnion[] = [
    { type: 'bash_20250124', name: 'bash' },
    { type: 'text_editor_20250728', name: 'str_replace_based_edit_tool', max_characters: 10_000 },
  ];
  const command = (who: string) => JSON.stringify({ command: `grep '${who}' orders.csv` });

  beforeAll(async () => {
    h = await startHarness();
    anthropic = sdkClients(h).anthropic;
  });
  afterEach(() => {
    h.mocks.anthropic.setBehaviour({ toolCalls: undefined });
  });
  afterAll(async () => {
    await h?.close();
  });

  const sentBody = (): Record<string, unknown> => h.mocks.anthropic.requests.at(-1)?.body as Record<string, unknown>;

  it('reach Claude as declared, and a bash call comes back with the caller’s data in its command', async () => {
    h.mocks.anthropic.setBehaviour({ toolCalls: [{ name: 'bash', arguments: command('<EMAIL_1>'), id: 'toolu_bash' }] });
    const res = await anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 1024, tools, messages: [{ role: 'user', content: prompt }] });
    const sent = sentBody();
    expect(sent['tools']).toEqual(tools);
    expect(JSON.stringify(sent['messages'])).not.toContain(email);
    expect(res.stop_reason).toBe('tool_use');
    expect(res.content.find((b) => b.type === 'tool_use')).toMatchObject({ type: 'tool_use', id: 'toolu_bash', name: 'bash', input: { command: `grep '${email}' orders.csv` } });

    h.mocks.anthropic.setBehaviour({ toolCalls: [{ name: 'bash', arguments: command('<EMAIL_1>'), id: 'toolu_bash' }], chunks: 4 });
    const stream = anthropic.messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 1024, tools, messages: [{ role: 'user', content: prompt }] });
    const final = await stream.finalMessage();
    expect(final.content.find((b) => b.type === 'tool_use')).toMatchObject({ name: 'bash', input: { command: `grep '${email}' orders.csv` } });
  });

  it('carry calls and results in the history, the caller’s data pseudonymized in each', async () => {
    await anthropic.messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 1024,
      tools,
      messages: [
        { role: 'user', content: prompt },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'bash', input: { command: `grep '${email}' orders.csv` } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: `17,${email},42.00` }] },
      ],
    });
    const messages = sentBody()['messages'] as { content: Record<string, unknown>[] }[];
    expect(JSON.stringify(messages)).not.toContain(email);
    expect(messages[1]?.content[0]).toEqual({ type: 'tool_use', id: 'toolu_1', name: 'bash', input: { command: "grep '<EMAIL_1>' orders.csv" } });
    expect(messages[2]?.content[0]).toEqual({ type: 'tool_result', tool_use_id: 'toolu_1', content: '17,<EMAIL_1>,42.00' });
  });

  it('answer a 400 that says why for a model without a Claude deployment, and never call it', async () => {
    const before = h.mocks.openai.requests.length;
    const err = await anthropic.messages.create({ model: 'gpt-4o', max_tokens: 1024, tools, messages: [{ role: 'user', content: prompt }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect((err as InstanceType<typeof Anthropic.BadRequestError>).message).toMatch(/Anthropic's client tool `bash_20250124` is served by Claude only/);
    expect(h.mocks.openai.requests.length).toBe(before);
  });

  it("serve a toolset: its calls come back with their toolset's name, restored, streamed or not (ADR 0042)", async () => {
    const toolset = [{ type: 'computer_toolset_20260801' }] as unknown as Anthropic.ToolUnion[];
    for (const stream of [false, true]) {
      h.mocks.anthropic.setBehaviour({ toolCalls: [{ name: 'type', arguments: JSON.stringify({ text: '<EMAIL_1>' }), id: 'toolu_type', toolset: 'computer' }], chunks: 3 });
      const message = stream
        ? await anthropic.messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 1024, tools: toolset, messages: [{ role: 'user', content: prompt }] }).finalMessage()
        : await anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 1024, tools: toolset, messages: [{ role: 'user', content: prompt }] });
      expect(sentBody()['tools'], `stream: ${stream}`).toEqual(toolset);
      expect(message.content.find((b) => b.type === 'tool_use'), `stream: ${stream}`).toMatchObject({ id: 'toolu_type', name: 'type', input: { text: email }, toolset_name: 'computer', caller: { type: 'direct' } });
    }
  });

  it('refuse a server tool, saying which tools the gateway serves', async () => {
    const before = h.mocks.anthropic.requests.length;
    const server = await anthropic.messages
      .create({ model: 'claude-sonnet-4-5', max_tokens: 1024, tools: [{ type: 'web_search_20250305', name: 'web_search' }], messages: [{ role: 'user', content: 'News?' }] })
      .catch((e: unknown) => e);
    expect((server as InstanceType<typeof Anthropic.BadRequestError>).message).toMatch(/the gateway serves custom tools and Anthropic's client tools \(bash, the text editor, computer use, memory, and the computer and browser toolsets\)/);
    expect(h.mocks.anthropic.requests.length).toBe(before);
  });
});
