import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './support/gateway-harness.js';

// Claude on AWS Bedrock for Anthropic SDK clients (ADR 0031): the client's own Messages body goes
// to InvokeModel (SigV4-signed), and the answer, JSON or streamed in Bedrock's event stream, comes
// back as Anthropic's. Other clients of the same model still go through Converse.
describe('Claude on Bedrock through InvokeModel, as the Anthropic client sent it', () => {
  let h: Harness;
  let anthropic: Anthropic;
  let openai: OpenAI;
  const MODEL = 'eu.anthropic.claude-sonnet-4-5-20250929-v1:0';
  const INVOKE = `/model/${encodeURIComponent(MODEL)}/invoke`;
  const TERMINAL = new Set(['RequestCompleted', 'RequestRejected', 'RequestFailed']);
  const eventFor = async (requestId: string) => (await h.events()).filter((e) => TERMINAL.has(e.type) && (e.data as { requestId?: string }).requestId === requestId);

  beforeAll(async () => {
    h = await startHarness({ env: { BEDROCK_MODELS: `nova-pro=amazon.nova-pro-v1:0,claude-bedrock=${MODEL}` } });
    anthropic = new Anthropic({ apiKey: h.key, baseURL: h.url, maxRetries: 0 });
    openai = new OpenAI({ apiKey: h.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
  });
  afterAll(async () => {
    await h?.close();
  });

  // An earlier answer's citations and a thinking block: what Converse has no place for as sent.
  const citation = { type: 'char_location' as const, cited_text: 'the notice period is 30 days', document_index: 0, document_title: 'Contract', start_char_index: 0, end_char_index: 28 };
  const messages: Anthropic.MessageParam[] = [
    { role: 'user', content: 'what is the notice period?' },
    { role: 'assistant', content: [{ type: 'text', text: 'Thirty days.', citations: [citation] }] },
    { role: 'user', content: 'and how do I give notice?' },
  ];

  it('sends the JSON request to InvokeModel as it came, signed, and answers with its Anthropic answer and usage', async () => {
    const { data, response } = await anthropic.messages.create({ model: 'claude-bedrock', max_tokens: 64, messages, stop_sequences: ['END'] }).withResponse();
    const sent = h.mocks.bedrock.requests.at(-1);
    expect(sent?.path).toBe(INVOKE);
    expect(sent?.headers['authorization']).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-central-1\/bedrock\/aws4_request/);
    expect(sent?.body).toEqual({ anthropic_version: 'bedrock-2023-05-31', max_tokens: 64, messages, stop_sequences: ['END'] });
    expect(data.type).toBe('message');
    expect(data.content[0]).toMatchObject({ type: 'text', text: expect.stringContaining('how do I give notice') as unknown });
    expect(data.usage.input_tokens).toBeGreaterThan(0);
    const [done] = await eventFor(response.headers.get('request-id') ?? response.headers.get('x-request-id') ?? '');
    expect(done?.type).toBe('RequestCompleted');
    expect(done?.data).toMatchObject({ provider: 'bedrock', modelServed: MODEL, upstreamRequestId: expect.stringMatching(/^req_mock\d+$/) as unknown });
    expect((done?.data as { tokens: { input: number; output: number } }).tokens).toMatchObject({ input: data.usage.input_tokens, output: data.usage.output_tokens });
  });

  it("streams Bedrock's event stream to the client as Anthropic's SSE, delta by delta, with the betas in the body", async () => {
    h.mocks.bedrock.setBehaviour({ chunks: 6 });
    const stream = anthropic.beta.messages.stream({ model: 'claude-bedrock', max_tokens: 64, messages, betas: ['context-1m-2025-08-07'] });
    let deltas = 0;
    stream.on('text', () => deltas++);
    const final = await stream.finalMessage();
    h.mocks.bedrock.resetBehaviour();
    const sent = h.mocks.bedrock.requests.at(-1);
    expect(sent?.path).toBe(`${INVOKE}-with-response-stream`);
    expect(sent?.body).toEqual({ anthropic_version: 'bedrock-2023-05-31', max_tokens: 64, messages, anthropic_beta: ['context-1m-2025-08-07'] });
    expect(deltas).toBeGreaterThan(1);
    expect(final.content[0]).toMatchObject({ type: 'text', text: expect.stringContaining('how do I give notice') as unknown });
    expect(final.usage.output_tokens).toBeGreaterThan(0);
    // Bedrock's invocation metrics stay out of the client's stream.
    const raw = await fetch(`${h.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': h.key, 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'claude-bedrock', max_tokens: 32, stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    const text = await raw.text();
    expect(text).toMatch(/^event: message_start\n/);
    expect(text).toContain('event: message_stop\ndata: {"type":"message_stop"}');
    expect(text).not.toContain('amazon-bedrock');
    const [done] = await eventFor(raw.headers.get('request-id') ?? raw.headers.get('x-request-id') ?? '');
    expect(done?.data).toMatchObject({ provider: 'bedrock', stream: true });
    expect((done?.data as { tokens: { output: number } }).tokens.output).toBeGreaterThan(0);
  });

  it('puts the texts the PII stage rewrote into that body, and restores the answer', async () => {
    const res = await anthropic.messages.create({ model: 'claude-bedrock', max_tokens: 64, messages: [...messages.slice(0, 2), { role: 'user', content: 'write to jane.doe@example.com' }] });
    const sent = h.mocks.bedrock.requests.at(-1);
    expect(sent?.path).toBe(INVOKE);
    expect(sent?.body).toEqual({ anthropic_version: 'bedrock-2023-05-31', max_tokens: 64, messages: [...messages.slice(0, 2), { role: 'user', content: 'write to <EMAIL_1>' }] });
    expect(res.content[0]).toMatchObject({ type: 'text', text: expect.stringContaining('jane.doe@example.com') as unknown });
  });

  it("refuses Anthropic-only members itself, answers Bedrock's refusal of the body as a provider error, and takes other clients of the model through Converse", async () => {
    const before = h.mocks.bedrock.requestCount;
    const refusal = (p: Promise<unknown>) =>
      p.then(
        () => undefined,
        (e: unknown) => e as InstanceType<typeof Anthropic.APIError>,
      );
    const managed = await refusal(
      anthropic.beta.messages.create({ model: 'claude-bedrock', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }], context_management: { edits: [{ type: 'clear_tool_uses_20250919' }] } }),
    );
    expect(managed?.status).toBe(400);
    expect(managed?.message).toContain('`context_management` (of the Anthropic Messages request) cannot be sent to bedrock');
    expect(h.mocks.bedrock.requestCount).toBe(before);
    // InvokeModel refuses what it does not take; the client hears it as an Anthropic 400.
    h.mocks.bedrock.setBehaviour({ fault: { type: 'status', status: 400, message: 'messages.1.content.0.text.citations: Extra inputs are not permitted' } });
    const refused = await refusal(anthropic.messages.create({ model: 'claude-bedrock', max_tokens: 16, messages }));
    h.mocks.bedrock.resetBehaviour();
    expect(refused?.status).toBe(400);
    expect(refused?.message).toContain('citations: Extra inputs are not permitted');
    const answer = await openai.chat.completions.create({ model: 'claude-bedrock', messages: [{ role: 'user', content: 'hello from OpenAI' }] });
    expect(h.mocks.bedrock.requests.at(-1)?.path).toBe(`/model/${encodeURIComponent(MODEL)}/converse`);
    expect(answer.choices[0]?.message.content).toContain('hello from OpenAI');
    // The Nova model of the same provider takes Anthropic clients through Converse too.
    await anthropic.messages.create({ model: 'nova-pro', max_tokens: 16, messages: [{ role: 'user', content: 'hi nova' }] });
    expect(h.mocks.bedrock.requests.at(-1)?.path).toBe(`/model/${encodeURIComponent('amazon.nova-pro-v1:0')}/converse`);
  });
});
