import type Anthropic from '@anthropic-ai/sdk';
import OpenAI, { AzureOpenAI } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTokenCodec } from '@totra/pricing';
import { ALIAS, sdkClients, startHarness, type Harness, type MockName } from './support/gateway-harness.js';

// The official SDKs, pointed at a running gateway (real NATS, Redis, projector), which talks to
// mocks of every provider. The only change an app makes is the base URL and the key.
describe('gateway with the official openai and @anthropic-ai/sdk clients', () => {
  let h: Harness;
  let openai: OpenAI;
  let anthropic: Anthropic;

  beforeAll(async () => {
    h = await startHarness();
    ({ openai, anthropic } = sdkClients(h));
  });
  afterAll(async () => {
    await h?.close();
  });

  const providers = Object.keys(ALIAS) as MockName[];

  it.each(providers)('openai client: chat reaches %s and comes back in OpenAI format', async (p) => {
    const res = await openai.chat.completions.create({ model: ALIAS[p], messages: [{ role: 'user', content: `hello ${p}` }] });
    expect(res.choices[0]?.message.content).toContain(`hello ${p}`);
    expect(res.usage?.prompt_tokens).toBeGreaterThan(0);
    expect(h.mocks[p].requestCount).toBeGreaterThan(0);
    // Every answer has an id and a creation time, even from a provider that gives neither.
    expect(res.id).toMatch(/^\S+$/);
    expect(res.created).toBeGreaterThan(0);
  });

  it.each(providers)('openai client: streamed chat reaches %s with usage', async (p) => {
    const stream = await openai.chat.completions.create({ model: ALIAS[p], stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: `stream ${p}` }] });
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    let lastId = '';
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
      lastId = chunk.id;
    }
    expect(text).toContain(`stream ${p}`);
    expect(usage?.completion_tokens).toBeGreaterThan(0);
    expect(lastId).toMatch(/^\S+$/);
  });

  it.each(providers)('anthropic client: messages reach %s and come back in Anthropic format', async (p) => {
    const msg = await anthropic.messages.create({ model: ALIAS[p], max_tokens: 200, messages: [{ role: 'user', content: `bonjour ${p}` }] });
    const block = msg.content[0];
    expect(block?.type).toBe('text');
    expect(block?.type === 'text' ? block.text : '').toContain(`bonjour ${p}`);
    expect(msg.usage.output_tokens).toBeGreaterThan(0);
    expect(msg.id).toMatch(/^\S+$/);
  });

  it.each(providers)('anthropic client: streamed messages reach %s', async (p) => {
    const stream = anthropic.messages.stream({ model: ALIAS[p], max_tokens: 200, messages: [{ role: 'user', content: `stream ${p}` }] });
    const final = await stream.finalMessage();
    const block = final.content[0];
    expect(block?.type === 'text' ? block.text : '').toContain(`stream ${p}`);
    expect(final.id).toMatch(/^\S+$/);
  });

  it('the built-in demo model answers each API with an id of that API\'s form, made of the request id', async () => {
    const chat = await openai.chat.completions.create({ model: 'demo', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    expect(chat.data.id).toBe(`chatcmpl-${chat.response.headers.get('x-request-id')}`);
    const msg = await anthropic.messages.create({ model: 'demo', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    expect(msg.data.id).toBe(`msg_${msg.response.headers.get('x-request-id')}`);
    const streamed = await anthropic.messages.stream({ model: 'demo', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }).finalMessage();
    expect(streamed.id).toMatch(/^msg_\S+$/);
    const res = await openai.responses.create({ model: 'demo', input: 'hi' }).withResponse();
    expect(res.data.id).toBe(`resp_${res.response.headers.get('x-request-id')}`);
  });

  it('the built-in demo-embedding model answers locally, the same vector for a text and for its token ids', async () => {
    const codec = await loadTokenCodec('cl100k_base');
    const before = Object.values(h.mocks).reduce((n, m) => n + m.requestCount, 0);
    const texts = ['a text to embed', 'another one'];
    const fromTexts = await openai.embeddings.create({ model: 'demo-embedding', input: texts });
    expect(fromTexts.model).toBe('demo-embedding');
    expect(fromTexts.data.map((d) => d.embedding.length)).toEqual([8, 8]);
    expect(Math.hypot(...(fromTexts.data[0]?.embedding ?? []))).toBeCloseTo(1, 5);
    expect(fromTexts.data[0]?.embedding).not.toEqual(fromTexts.data[1]?.embedding);
    const fromIds = await openai.embeddings.create({ model: 'demo-embedding', input: texts.map((t) => codec.encode(t)) });
    expect(fromIds.data.map((d) => d.embedding)).toEqual(fromTexts.data.map((d) => d.embedding));
    expect(Object.values(h.mocks).reduce((n, m) => n + m.requestCount, 0)).toBe(before);
    const listed = (await openai.models.list()).data.map((m) => m.id);
    expect(listed).toEqual(expect.arrayContaining(['demo', 'demo-embedding']));
  });

  it('the AzureOpenAI client, its endpoint set to the gateway: the deployment in the path is the model, chat, streams and embeddings', async () => {
    const azure = (deployment: string) => new AzureOpenAI({ endpoint: h.url, apiKey: h.key, apiVersion: '2024-10-21', deployment, maxRetries: 0 });
    // The body's model does not matter: Azure routes by the path, and so does the gateway.
    const { data, response } = await azure('gpt-4o').chat.completions.create({ model: 'whatever', messages: [{ role: 'user', content: 'hello azure' }] }).withResponse();
    expect(data.choices[0]?.message.content).toContain('hello azure');
    const upstream = h.mocks.openai.requests.at(-1);
    expect(upstream?.body).toMatchObject({ model: 'gpt-4o' });
    const recorded = (await h.events()).find((e) => e.type === 'RequestCompleted' && (e.data as { requestId?: string }).requestId === response.headers.get('x-request-id'));
    expect(recorded?.data).toMatchObject({ api: 'openai.chat', modelRequested: 'gpt-4o' });
    // Another provider behind an Azure path, streamed.
    const stream = await azure(ALIAS.anthropic).chat.completions.create({ model: '', stream: true, messages: [{ role: 'user', content: 'stream azure' }] });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toContain('stream azure');
    const embedded = await azure('text-embedding-3-small').embeddings.create({ model: '', input: 'vector me' });
    expect(embedded.data[0]?.embedding.length).toBeGreaterThan(0);
    // Azure's key header without a key the gateway knows: 401 in the OpenAI shape.
    const refused = await new AzureOpenAI({ endpoint: h.url, apiKey: 'tt-0000000000000000000000000000000000000000', apiVersion: '2024-10-21', deployment: 'gpt-4o', maxRetries: 0 })
      .chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it('the openai client on Azure OpenAI\'s v1 API (base URL <endpoint>/openai/v1): chat, Responses, embeddings and models', async () => {
    const azureV1 = new OpenAI({ apiKey: h.key, baseURL: `${h.url}/openai/v1`, maxRetries: 0 });
    const chat = await azureV1.chat.completions.create({ model: ALIAS.anthropic, messages: [{ role: 'user', content: 'hello v1' }] });
    expect(chat.choices[0]?.message.content).toContain('hello v1');
    const res = await azureV1.responses.create({ model: 'gpt-4o', input: 'respond v1' });
    expect(res.output_text).toContain('respond v1');
    const embedded = await azureV1.embeddings.create({ model: 'text-embedding-3-small', input: 'vector v1' });
    expect(embedded.data[0]?.embedding.length).toBeGreaterThan(0);
    const listed = await azureV1.models.list();
    expect(listed.data.map((m) => m.id)).toContain('gpt-4o');
    expect((await azureV1.models.retrieve('gpt-4o')).id).toBe('gpt-4o');
  });

  it.each(providers)('openai client: a Responses answer from %s has an id', async (p) => {
    const res = await openai.responses.create({ model: ALIAS[p], input: `respond ${p}` });
    expect(res.output_text).toContain(`respond ${p}`);
    expect(res.id).toMatch(/^resp_\S+$/);
    expect(res.created_at).toBeGreaterThan(0);
  });
});
