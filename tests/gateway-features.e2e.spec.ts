import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadTokenCodec } from '@totra/pricing';
import { createStreamGate, startMockProvider, type MockProvider } from '@totra/testing';
import { startHarness, type Harness } from './support/gateway-harness.js';

// Features of the data plane through the official SDKs: tools, embeddings, models, the
// Responses API, incremental streaming, and routing (retries, fallback, circuit breaker).
describe('gateway features', () => {
  let h: Harness;
  let openai: OpenAI;
  let anthropic: Anthropic;
  let startedAt = 0;
  let a: MockProvider;
  let b: MockProvider;

  const TERMINAL = new Set(['RequestCompleted', 'RequestRejected', 'RequestFailed']);
  /** RequestFailed events of requests whose client left, on one inbound API. */
  const clientClosed = async (api: string) =>
    (await h.events()).filter((e) => e.type === 'RequestFailed' && (e.data as { api?: string; errorCode?: string }).api === api && (e.data as { errorCode?: string }).errorCode === 'TOTRA_CLIENT_CLOSED');
  /** Waits until the gateway counts no request in flight. */
  const nothingInFlight = () =>
    vi.waitFor(async () => expect(await (await fetch(`${h.url}/metrics`)).text()).toMatch(/^totra_inflight_requests 0$/m), { timeout: 5_000, interval: 50 });
  /**
   * Sends a request the provider (the OpenAI mock) would answer only a minute later, leaves once
   * the provider has it, and waits for its RequestFailed TOTRA_CLIENT_CLOSED: only the gateway
   * aborting its upstream call ends the request before that minute.
   */
  const leaveBeforeTheAnswer = async (api: string, send: (signal: AbortSignal) => Promise<unknown>, expected: Record<string, unknown>) => {
    const mock = h.mocks.openai;
    mock.setBehaviour({ latencyMs: 60_000 });
    const before = (await clientClosed(api)).length;
    const arrived = mock.nextRequest();
    const controller = new AbortController();
    const pending = send(controller.signal);
    pending.catch(() => undefined);
    await arrived;
    controller.abort();
    await expect(pending).rejects.toThrow();
    await vi.waitFor(
      async () => {
        const closed = await clientClosed(api);
        expect(closed.length).toBe(before + 1);
        expect(closed.at(-1)?.data).toMatchObject(expected);
      },
      { timeout: 10_000, interval: 100 },
    );
  };
  const eventFor = async (requestId: string) => (await h.events()).filter((e) => TERMINAL.has(e.type) && (e.data as { requestId?: string }).requestId === requestId);

  beforeAll(async () => {
    startedAt = Date.now();
    h = await startHarness({ env: { TOTRA_BREAKER_FAILURES: '3', TOTRA_BREAKER_OPEN_MS: '300', TOTRA_UPSTREAM_TIMEOUT_MS: '1000' } });
    openai = new OpenAI({ apiKey: h.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    anthropic = new Anthropic({ apiKey: h.key, baseURL: h.url, maxRetries: 0 });
    // Alias `fb`: deployment A (priority 1) falls back to deployment B (priority 2).
    a = await startMockProvider({ provider: 'openai', apiKey: 'sk-test-openai' });
    b = await startMockProvider({ provider: 'openai', apiKey: 'sk-test-openai' });
    for (const [id, mock, priority] of [['fb-a', a, '1'], ['fb-b', b, '2']] as const) {
      const r = await h.cli('models', 'add', '--id', id, '--alias', 'fb', '--provider', 'openai', '--model', 'gpt-4o', '--base-url', mock.baseUrl, '--credential', 'env:OPENAI_API_KEY', '--priority', priority, ...h.cliArgs);
      expect(r.code, r.err).toBe(0);
    }
    await vi.waitFor(() => expect(h.gateway.catalog.directory.deploymentsFor('fb')).toHaveLength(2), { timeout: 10_000 });
  });
  afterAll(async () => {
    await h?.close();
    await a?.close();
    await b?.close();
  });
  beforeEach(() => {
    a.resetBehaviour();
    b.resetBehaviour();
    h.mocks.openai.resetBehaviour();
    h.mocks.anthropic.resetBehaviour();
  });

  it('lists the models the key may use', async () => {
    const ids = [];
    for await (const m of openai.models.list()) ids.push(m.id);
    expect(ids).toEqual(expect.arrayContaining(['gpt-4o', 'claude-sonnet-4-5', 'text-embedding-3-small', 'demo', 'fb']));
  });

  it('a request one provider cannot express goes to the next deployment, and never trips the first one\'s breaker', async () => {
    // Bedrock takes base64 images only; the alias falls back to OpenAI, which takes image URLs.
    for (const [id, name, provider, model, priority] of [['img-a', 'bedrock', 'bedrock', 'amazon.nova-pro-v1:0', '1'], ['img-b', 'openai', 'openai', 'gpt-4o', '2']] as const) {
      const r = await h.cli('models', 'add', '--id', id, '--alias', 'img', '--provider', provider, '--model', model, '--base-url', h.mocks[name].baseUrl, ...(provider === 'openai' ? ['--credential', 'env:OPENAI_API_KEY'] : ['--region', 'eu-central-1']), '--priority', priority, ...h.cliArgs);
      expect(r.code, r.err).toBe(0);
    }
    await vi.waitFor(() => expect(h.gateway.catalog.directory.deploymentsFor('img')).toHaveLength(2), { timeout: 10_000 });
    const bedrockBefore = h.mocks.bedrock.requestCount;
    const withUrl: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: [{ type: 'text', text: 'what is in it?' }, { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }] }];
    // More than the breaker's threshold of failures, were they counted as failures.
    for (let i = 0; i < 7; i++) {
      const { data, response } = await openai.chat.completions.create({ model: 'img', messages: withUrl }).withResponse();
      expect(data.choices[0]?.message.content).toContain('what is in it?');
      const [event] = await vi.waitFor(async () => {
        const found = await eventFor(response.headers.get('x-request-id') ?? '');
        expect(found).toHaveLength(1);
        return found;
      });
      // One attempt: the deployment that could not take it was not asked.
      expect(event?.data).toMatchObject({ deploymentId: 'img-b', attempts: 1 });
    }
    expect(h.mocks.bedrock.requestCount).toBe(bedrockBefore);
    // Bedrock's breaker is still closed: a request it can take goes to it first.
    const plain = await openai.chat.completions.create({ model: 'img', messages: [{ role: 'user', content: 'no picture' }] }).withResponse();
    expect(h.mocks.bedrock.requestCount).toBe(bedrockBefore + 1);
    const [event] = await vi.waitFor(async () => {
      const found = await eventFor(plain.response.headers.get('x-request-id') ?? '');
      expect(found).toHaveLength(1);
      return found;
    });
    expect(event?.data).toMatchObject({ deploymentId: 'img-a' });
  });

  it('members the gateway does not read: sent on to a provider of the same API, refused by another (naming them) unless they only tune a service', async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'how sure are you?' }];
    await openai.chat.completions.create({ model: 'gpt-4o', messages, logprobs: true, top_logprobs: 2 });
    expect(h.mocks.openai.requests.at(-1)?.body).toMatchObject({ logprobs: true, top_logprobs: 2 });
    const before = h.mocks.anthropic.requestCount;
    const { data: err, response } = await openai.chat.completions
      .create({ model: 'claude-sonnet-4-5', messages, logprobs: true, top_logprobs: 2 })
      .withResponse()
      .then(
        () => ({ data: undefined, response: undefined }),
        (e: unknown) => ({ data: e, response: (e as { headers?: Headers }).headers }),
      );
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.APIError>).code).toBe('unsupported_feature');
    expect((err as InstanceType<typeof OpenAI.APIError>).message).toContain('`logprobs`, `top_logprobs` (of the OpenAI Chat Completions request) cannot be sent to anthropic');
    expect(h.mocks.anthropic.requestCount).toBe(before);
    const [rejected] = await vi.waitFor(async () => {
      const found = await eventFor(response?.get('x-request-id') ?? '');
      expect(found).toHaveLength(1);
      return found;
    });
    expect(rejected?.type).toBe('RequestRejected');
    // Members that only tune OpenAI's service are left out for another provider.
    const served = await openai.chat.completions.create({ model: 'claude-sonnet-4-5', messages, store: true, service_tier: 'auto', logprobs: false });
    expect(served.choices[0]?.message.content).toContain('how sure are you?');
    expect(JSON.stringify(h.mocks.anthropic.requests.at(-1)?.body)).not.toMatch(/"(store|service_tier|logprobs)"/);
  });

  it('sends the betas an Anthropic SDK client switches on to Anthropic, passed through or translated, and to no one else', async () => {
    const betas = ['context-1m-2025-08-07', 'token-efficient-tools-2025-02-19'];
    const messages: Anthropic.Beta.BetaMessageParam[] = [{ role: 'user', content: 'a long story' }];
    await anthropic.beta.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 20, messages, betas });
    expect(h.mocks.anthropic.requests.at(-1)?.headers['anthropic-beta']).toBe(betas.join(','));
    // Translated (the prompt's e-mail address is pseudonymized): the same header.
    await anthropic.beta.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 20, messages: [{ role: 'user', content: 'mail me at jo@example.com' }], betas, stream: false });
    expect(h.mocks.anthropic.requests.at(-1)?.headers['anthropic-beta']).toBe(betas.join(','));
    // Another provider: served without them.
    const other = await anthropic.beta.messages.create({ model: 'gpt-4o', max_tokens: 20, messages, betas });
    expect(other.content[0]?.type).toBe('text');
    expect(h.mocks.openai.requests.at(-1)?.headers['anthropic-beta']).toBeUndefined();
    // A header that is not a list of beta names is refused, in the Messages API's error shape.
    const bad = await fetch(`${h.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': h.key, 'anthropic-version': '2023-06-01', 'anthropic-beta': 'context-1m-2025-08-07, rm -rf /', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 20, messages }),
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: 'the anthropic-beta header holds "rm -rf /", which is not a beta name (letters, digits, \'.\', \'_\' and \'-\', comma-separated)' } });
  });

  it('a photo of megabytes reaches the provider (its bytes are not its tokens); a prompt longer than every context window does not', async () => {
    // About 2 MB of JPEG, as a phone takes it: 2.7 MB of base64, far more than 128k tokens' worth of bytes.
    const photo = `data:image/jpeg;base64,${Buffer.alloc(2_000_000, 7).toString('base64')}`;
    const before = h.mocks.openai.requestCount;
    const res = await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: [{ type: 'text', text: 'what is in this photo?' }, { type: 'image_url', image_url: { url: photo } }] }] });
    expect(res.choices[0]?.message.content).toContain('what is in this photo?');
    expect(h.mocks.openai.requestCount).toBe(before + 1);
    const tooLong = await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'word '.repeat(120_000) }] }).catch((e: unknown) => e);
    expect(tooLong).toBeInstanceOf(OpenAI.BadRequestError);
    expect((tooLong as InstanceType<typeof OpenAI.APIError>).message).toMatch(/about 150000 tokens\) is larger than the context window of every deployment of gpt-4o/);
    expect(h.mocks.openai.requestCount).toBe(before + 1);
  });

  it('retrieves one model, its alias holding a slash or not, with the OpenAI SDK', async () => {
    const added = await h.cli('models', 'add', '--id', 'slash-a', '--alias', 'acme/chat-fast', '--provider', 'openai', '--model', 'gpt-4o-mini', '--base-url', h.mocks.openai.baseUrl, '--credential', 'env:OPENAI_API_KEY', ...h.cliArgs);
    expect(added.code, added.err).toBe(0);
    await vi.waitFor(() => expect(h.gateway.catalog.directory.deploymentsFor('acme/chat-fast')).toHaveLength(1), { timeout: 10_000 });
    const gpt = await openai.models.retrieve('gpt-4o');
    expect(gpt).toMatchObject({ id: 'gpt-4o', object: 'model', owned_by: 'openai' });
    // When the gateway first offered it: seeded from the environment as the harness started.
    expect(gpt.created).toBeGreaterThan(startedAt / 1000 - 5);
    expect(gpt.created).toBeLessThanOrEqual(Date.now() / 1000);
    expect((await openai.models.retrieve('acme/chat-fast')).id).toBe('acme/chat-fast');
    const missing = await openai.models.retrieve('no-such-model').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
    expect((missing as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found');
  });

  it('answers the Anthropic SDK in its Models API format: pages, cursors and one model', async () => {
    const openaiIds: string[] = [];
    for await (const m of openai.models.list()) openaiIds.push(m.id);
    // Pages of two, followed by the SDK through has_more and last_id.
    const ids: string[] = [];
    const firstPage = await anthropic.models.list({ limit: 2 });
    expect(firstPage.data).toHaveLength(2);
    expect(firstPage.has_more).toBe(true);
    for await (const m of anthropic.models.list({ limit: 2 })) {
      expect(m.type).toBe('model');
      expect(m.display_name).toBe(m.id);
      expect(Date.parse(m.created_at)).toBeGreaterThan(startedAt - 5_000);
      ids.push(m.id);
    }
    expect(ids).toEqual(openaiIds);
    // Backwards from a cursor: the models just before it.
    const third = openaiIds[2] as string;
    const before = await anthropic.models.list({ before_id: third, limit: 5 });
    expect(before.data.map((m) => m.id)).toEqual(openaiIds.slice(0, 2));
    expect(before.has_more).toBe(false);
    const one = await anthropic.models.retrieve('claude-sonnet-4-5');
    expect(one).toMatchObject({ type: 'model', id: 'claude-sonnet-4-5', display_name: 'claude-sonnet-4-5' });
    const missing = await anthropic.models.retrieve('claude-nonexistent').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(Anthropic.NotFoundError);
    expect((missing as InstanceType<typeof Anthropic.NotFoundError>).error).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
  });

  it('embeddings', async () => {
    const res = await openai.embeddings.create({ model: 'text-embedding-3-small', input: ['one', 'two'] });
    expect(res.data).toHaveLength(2);
    expect(res.data[0]?.embedding.length).toBeGreaterThan(0);
  });

  it("token-array embeddings (LangChain's default): OpenAI gets the ids as they came, another provider their texts", async () => {
    const codec = await loadTokenCodec('cl100k_base');
    const texts = ['the first chunk of a long document', 'and its second one, café 日本語'];
    const arrays = texts.map((t) => codec.encode(t));
    const res = await openai.embeddings.create({ model: 'text-embedding-3-small', input: arrays });
    expect(h.mocks.openai.requests.at(-1)?.body).toMatchObject({ model: 'text-embedding-3-small', input: arrays });
    // The vectors are those the provider gives for the ids: what the client had without the gateway.
    const direct = await new OpenAI({ apiKey: 'sk-test-openai', baseURL: h.mocks.openai.baseUrl, maxRetries: 0 }).embeddings.create({ model: 'text-embedding-3-small', input: arrays });
    expect(res.data.map((d) => d.embedding)).toEqual(direct.data.map((d) => d.embedding));
    // One flat array is one input.
    const one = await openai.embeddings.create({ model: 'text-embedding-3-small', input: arrays[0] ?? [] });
    expect(one.data).toHaveLength(1);
    expect(h.mocks.openai.requests.at(-1)?.body).toMatchObject({ input: [arrays[0]] });
    // Cohere reads no OpenAI token ids: it is sent the texts they encode, and its vectors are theirs.
    const added = await h.cli('models', 'add', '--id', 'emb-cohere', '--alias', 'emb-cohere', '--provider', 'cohere', '--model', 'embed-v4.0', '--kind', 'embeddings', '--base-url', h.mocks.cohere.baseUrl || h.mocks.cohere.url, '--credential', 'env:COHERE_API_KEY', ...h.cliArgs);
    expect(added.code, added.err).toBe(0);
    await vi.waitFor(() => expect(h.gateway.catalog.directory.deploymentsFor('emb-cohere')).toHaveLength(1), { timeout: 10_000 });
    const viaCohere = await openai.embeddings.create({ model: 'emb-cohere', input: arrays });
    expect(h.mocks.cohere.requests.at(-1)?.body).toMatchObject({ model: 'embed-v4.0', texts });
    const fromTexts = await openai.embeddings.create({ model: 'emb-cohere', input: texts });
    expect(viaCohere.data.map((d) => d.embedding)).toEqual(fromTexts.data.map((d) => d.embedding));
    // The request is recorded with the provider's count, as any other.
    const requestId = viaCohere._request_id ?? '';
    const [event] = await eventFor(requestId);
    expect(event).toMatchObject({ type: 'RequestCompleted', data: { api: 'openai.embeddings', modelRequested: 'emb-cohere' } });
  });

  it('the Responses API, plain and streamed', async () => {
    const res = await openai.responses.create({ model: 'gpt-4o', input: 'respond please' });
    expect(res.output_text).toContain('respond please');
    const stream = await openai.responses.create({ model: 'claude-sonnet-4-5', input: 'respond in a stream', stream: true });
    let text = '';
    for await (const e of stream) if (e.type === 'response.output_text.delta') text += e.delta;
    expect(text).toContain('respond in a stream');
  });

  it("the Responses API reaches OpenAI's (and Azure OpenAI's) own Responses API with the client's body, streamed or not, and is recorded with its usage", async () => {
    // What the canonical model does not carry: a reasoning item of an earlier turn (its encrypted
    // content), reasoning summaries, `include` and `store`.
    const reasoning = { type: 'reasoning' as const, id: 'rs_1', summary: [], encrypted_content: 'gAAAA-opaque' };
    const body = {
      model: 'gpt-4o',
      input: [{ role: 'user' as const, content: 'think first' }, reasoning, { role: 'user' as const, content: 'and answer' }],
      reasoning: { effort: 'low' as const, summary: 'auto' as const },
      include: ['reasoning.encrypted_content' as const],
      store: false,
    };
    const { data, response } = await openai.responses.create(body).withResponse();
    const sent = h.mocks.openai.requests.at(-1);
    expect(sent?.path).toBe('/v1/responses');
    expect(sent?.body).toEqual(body);
    // The provider's answer as it came (its own id), not one the gateway wrote.
    expect(data.id).toMatch(/^resp_mock/);
    expect(data.output_text).toContain('and answer');
    // A client that asks the provider to store its response is heard (the gateway serves none back).
    await openai.responses.create({ ...body, store: true });
    expect(h.mocks.openai.requests.at(-1)?.body).toMatchObject({ store: true });
    const [done] = await eventFor(response.headers.get('x-request-id') ?? '');
    expect(done?.type).toBe('RequestCompleted');
    expect((done?.data as { tokens: { input: number; output: number } }).tokens.input).toBeGreaterThan(0);
    expect((done?.data as { tokens: { input: number; output: number } }).tokens.output).toBeGreaterThan(0);

    const stream = await openai.responses.create({ ...body, stream: true }).withResponse();
    const types: string[] = [];
    let text = '';
    for await (const e of stream.data) {
      types.push(e.type);
      if (e.type === 'response.output_text.delta') text += e.delta;
    }
    expect(h.mocks.openai.requests.at(-1)?.body).toEqual({ ...body, stream: true });
    expect(text).toContain('and answer');
    expect(types[0]).toBe('response.created');
    expect(types.at(-1)).toBe('response.completed');
    const [streamed] = await eventFor(stream.response.headers.get('x-request-id') ?? '');
    expect(streamed?.data).toMatchObject({ stream: true });
    expect((streamed?.data as { tokens: { output: number } }).tokens.output).toBeGreaterThan(0);

    // Azure OpenAI's v1 API: the deployment named in the body, the key in api-key.
    const azure = await openai.responses.create({ ...body, model: 'azure-gpt' });
    const toAzure = h.mocks.azure.requests.at(-1);
    expect(toAzure?.path).toBe('/openai/v1/responses');
    expect(toAzure?.body).toEqual({ ...body, model: 'gpt4o-prod' });
    expect(azure.id).toMatch(/^resp_mock/);
  });

  it("records the provider's own id of each request, answered or failed, as its support knows it", async () => {
    const ask = async (model: string) => (await openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'which id?' }] }).withResponse()).response.headers.get('x-request-id') ?? '';
    for (const [model, mock] of [
      ['gpt-4o', h.mocks.openai],
      ['claude-sonnet-4-5', h.mocks.anthropic],
    ] as const) {
      const before = mock.requestCount;
      const [done] = await eventFor(await ask(model));
      expect(mock.requestCount).toBe(before + 1);
      expect(done?.data, model).toMatchObject({ upstreamRequestId: expect.stringMatching(/^req_mock\d+$/) as unknown });
    }
    // A provider that answers with an error names the request too.
    h.mocks.openai.setBehaviour({ fault: { type: 'status', status: 400, message: 'bad thing' } });
    const refused = await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'fail' }] }).withResponse().then(
      () => undefined,
      (e: unknown) => e as InstanceType<typeof OpenAI.APIError>,
    );
    h.mocks.openai.resetBehaviour();
    expect(refused?.status).toBe(400);
    const [failed] = await eventFor(refused?.headers?.get('x-request-id') ?? '');
    expect(failed?.type).toBe('RequestFailed');
    expect(failed?.data).toMatchObject({ upstreamRequestId: expect.stringMatching(/^req_mock\d+$/) as unknown });
  });

  it('prompt caching: the cache marker an OpenAI-format client sets reaches Claude, and an Anthropic tool result keeps its own when rewritten', async () => {
    const ephemeral = { type: 'ephemeral' as const };
    // The `openai` types do not name it (LiteLLM's and OpenRouter's convention for Anthropic models).
    const system = { role: 'system', content: [{ type: 'text', text: 'a long, stable prompt', cache_control: ephemeral }] } as unknown as OpenAI.ChatCompletionSystemMessageParam;
    await openai.chat.completions.create({ model: 'claude-sonnet-4-5', messages: [system, { role: 'user', content: 'hi' }] });
    expect((h.mocks.anthropic.requests.at(-1)?.body as { system: unknown }).system).toEqual([{ type: 'text', text: 'a long, stable prompt', cache_control: ephemeral }]);

    // An agent loop's breakpoint on its last tool result, in a request the PII stage rewrites (so
    // it is encoded again from the canonical model, not passed through).
    await anthropic.messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 50,
      system: 'be brief',
      messages: [
        { role: 'user', content: 'read it' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'tu1', name: 'read', input: {} }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'tu1', content: 'the file of jane@example.com', cache_control: ephemeral }] },
      ],
      tools: [{ name: 'read', input_schema: { type: 'object', properties: {} } }],
    });
    const last = (h.mocks.anthropic.requests.at(-1)?.body as { messages: { content: unknown }[] }).messages.at(-1);
    expect(last?.content).toEqual([{ type: 'tool_result', tool_use_id: 'tu1', content: 'the file of <EMAIL_1>', cache_control: ephemeral }]);
  });

  it('tool calls: OpenAI format to an Anthropic model, and Anthropic format to an OpenAI model', async () => {
    h.mocks.anthropic.setBehaviour({ toolCalls: [{ name: 'get_weather', arguments: '{"city":"Paris"}' }] });
    const tools: OpenAI.ChatCompletionTool[] = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
    const res = await openai.chat.completions.create({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'weather?' }], tools });
    const call = res.choices[0]?.message.tool_calls?.[0];
    expect(call?.type === 'function' ? call.function.name : undefined).toBe('get_weather');
    expect(JSON.parse(call?.type === 'function' ? call.function.arguments : '{}')).toEqual({ city: 'Paris' });
    expect(res.choices[0]?.finish_reason).toBe('tool_calls');

    h.mocks.openai.setBehaviour({ toolCalls: [{ name: 'lookup', arguments: '{"id":42}' }] });
    const msg = await anthropic.messages.create({
      model: 'gpt-4o',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'look it up' }],
      tools: [{ name: 'lookup', input_schema: { type: 'object', properties: { id: { type: 'number' } } } }],
    });
    const use = msg.content.find((c) => c.type === 'tool_use');
    expect(use?.type === 'tool_use' ? [use.name, use.input] : undefined).toEqual(['lookup', { id: 42 }]);
    expect(msg.stop_reason).toBe('tool_use');

    // Streamed tool call, translated.
    const stream = await openai.chat.completions.create({ model: 'claude-sonnet-4-5', stream: true, messages: [{ role: 'user', content: 'weather?' }], tools });
    let args = '';
    for await (const chunk of stream) args += chunk.choices[0]?.delta.tool_calls?.[0]?.function?.arguments ?? '';
    expect(JSON.parse(args)).toEqual({ city: 'Paris' });
  });

  it('streams incrementally: the first chunk reaches the client before the provider has finished', async () => {
    const gate = createStreamGate();
    h.mocks.anthropic.setBehaviour({ afterFrame: gate.afterFrame, chunks: 4 });
    const stream = await openai.chat.completions.create({ model: 'claude-sonnet-4-5', stream: true, messages: [{ role: 'user', content: 'one two three four five six' }] });
    const it = stream[Symbol.asyncIterator]();
    let first = '';
    while (!first) {
      const next = await it.next();
      expect(next.done).toBe(false);
      first = next.value?.choices[0]?.delta.content ?? '';
    }
    // The provider is still holding the rest of its answer.
    await gate.reached;
    gate.release();
    let rest = '';
    for (let n = await it.next(); !n.done; n = await it.next()) rest += n.value.choices[0]?.delta.content ?? '';
    expect(first + rest).toContain('one two three four five six');
  });

  it('falls back to deployment B when A answers 503, and records the attempts', async () => {
    a.setBehaviour({ fault: { type: 'status', status: 503 } });
    const { data, response } = await openai.chat.completions.create({ model: 'fb', messages: [{ role: 'user', content: 'fallback please' }] }).withResponse();
    expect(data.choices[0]?.message.content).toContain('fallback please');
    expect(b.requestCount).toBeGreaterThan(0);
    const [event] = await eventFor(response.headers.get('x-request-id') ?? '');
    expect(event?.type).toBe('RequestCompleted');
    expect(event?.data).toMatchObject({ deploymentId: 'fb-b', modelRequested: 'fb' });
    expect((event?.data as { attempts: number }).attempts).toBeGreaterThanOrEqual(2);
  });

  /** One request served by A: its breaker's failure count starts again from zero. */
  const resetA = async () => {
    const before = a.requestCount;
    await openai.chat.completions.create({ model: 'fb', messages: [{ role: 'user', content: 'reset' }] });
    expect(a.requestCount).toBe(before + 1);
  };

  it('retries the same deployment after a 429 with Retry-After, and falls back after a timeout', async () => {
    await resetA();
    const beforeA = a.requestCount;
    const beforeB = b.requestCount;
    a.setBehaviour({ fault: { type: 'status', status: 429, times: 1, retryAfter: 0 } });
    const r1 = await openai.chat.completions.create({ model: 'fb', messages: [{ role: 'user', content: 'after 429' }] });
    expect(r1.choices[0]?.message.content).toContain('after 429');
    expect(a.requestCount - beforeA).toBe(2);
    expect(b.requestCount - beforeB).toBe(0);

    a.setBehaviour({ fault: { type: 'timeout', times: 5 } });
    const r2 = await openai.chat.completions.create({ model: 'fb', messages: [{ role: 'user', content: 'after timeout' }] });
    expect(r2.choices[0]?.message.content).toContain('after timeout');
    expect(b.requestCount - beforeB).toBe(1);
  });

  it('opens the breaker after repeated failures (A is skipped), half-opens later, and closes on success', async () => {
    await resetA();
    a.setBehaviour({ fault: { type: 'status', status: 500 } });
    for (let i = 0; i < 3; i++) await openai.chat.completions.create({ model: 'fb', messages: [{ role: 'user', content: `trip ${i}` }] });
    const seenByA = a.requestCount;
    await openai.chat.completions.create({ model: 'fb', messages: [{ role: 'user', content: 'while open' }] });
    expect(a.requestCount).toBe(seenByA); // open: not even tried

    a.resetBehaviour(); // A recovers
    // After the open period one trial goes to A; its success closes the breaker.
    await vi.waitFor(
      async () => {
        await openai.chat.completions.create({ model: 'fb', messages: [{ role: 'user', content: 'probe' }] });
        expect(a.requestCount).toBeGreaterThan(seenByA);
      },
      { timeout: 5_000, interval: 100 },
    );
    const servedByA = a.requestCount;
    await openai.chat.completions.create({ model: 'fb', messages: [{ role: 'user', content: 'closed again' }] });
    expect(a.requestCount).toBe(servedByA + 1);
  });

  it('never re-sends a stream that already started: a broken stream ends with an error, B is not asked', async () => {
    await resetA();
    a.setBehaviour({ fault: { type: 'drop', afterFrames: 2 }, chunks: 6 });
    const beforeB = b.requestCount;
    const stream = await openai.chat.completions.create({ model: 'fb', stream: true, messages: [{ role: 'user', content: 'a long answer that will break' }] });
    let text = '';
    await expect(
      (async () => {
        for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      })(),
    ).rejects.toThrow();
    expect(text.length).toBeGreaterThan(0);
    expect(b.requestCount).toBe(beforeB);
    const failed = (await h.events()).filter((e) => e.type === 'RequestFailed' && (e.data as { partial: boolean }).partial);
    expect(failed.length).toBeGreaterThan(0);
  });

  it('aborts the upstream request when the client goes away mid-stream, and records it', async () => {
    const gate = createStreamGate();
    h.mocks.anthropic.setBehaviour({ afterFrame: gate.afterFrame, chunks: 5 });
    const controller = new AbortController();
    const { data: stream, response } = await openai.chat.completions
      .create({ model: 'claude-sonnet-4-5', stream: true, messages: [{ role: 'user', content: 'talk for a while' }] }, { signal: controller.signal })
      .withResponse();
    const requestId = response.headers.get('x-request-id') ?? '';
    const it = stream[Symbol.asyncIterator]();
    await it.next();
    await gate.reached;
    // The provider holds the rest of its answer; the client leaves. Only the gateway noticing the
    // disconnect and aborting the upstream call ends this request (an upstream timeout would be
    // recorded as TOTRA_PROVIDER_TIMEOUT instead).
    controller.abort();
    try {
      await vi.waitFor(
        async () => {
          const [event] = await eventFor(requestId);
          expect(event?.type).toBe('RequestFailed');
          expect(event?.data).toMatchObject({ errorCode: 'TOTRA_CLIENT_CLOSED', partial: true, stream: true });
        },
        { timeout: 10_000, interval: 100 },
      );
      // The request no longer counts as in flight, though its response never finished.
      await nothingInFlight();
    } finally {
      gate.release();
    }
  });

  it('aborts the upstream request when the client goes away before a non-streamed answer, and records it', async () => {
    await leaveBeforeTheAnswer(
      'openai.chat',
      (signal) => openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'take your time' }] }, { signal, maxRetries: 0 }),
      { modelRequested: 'gpt-4o', provider: 'openai', status: 499, attempts: 1, stream: false, partial: false },
    );
    // The request no longer counts as in flight, though no response was sent.
    await nothingInFlight();
  });

  it('aborts an embeddings call whose client goes away, and records it', async () => {
    await leaveBeforeTheAnswer(
      'openai.embeddings',
      (signal) => openai.embeddings.create({ model: 'text-embedding-3-small', input: 'take your time' }, { signal, maxRetries: 0 }),
      { modelRequested: 'text-embedding-3-small', provider: 'openai', status: 499, attempts: 1 },
    );
  });

  it('answers 503 (provider unavailable, as for chat) when an embeddings provider cannot be reached, and records it', async () => {
    // A port nothing listens on: the connection is refused.
    const gone = await startMockProvider({ provider: 'openai', apiKey: 'sk-test-openai' });
    const deadUrl = gone.baseUrl;
    await gone.close();
    const r = await h.cli('models', 'add', '--id', 'emb-dead', '--alias', 'emb-dead', '--provider', 'openai', '--model', 'text-embedding-3-small', '--kind', 'embeddings', '--base-url', deadUrl, '--credential', 'env:OPENAI_API_KEY', ...h.cliArgs);
    expect(r.code, r.err).toBe(0);
    await vi.waitFor(() => expect(h.gateway.catalog.directory.deploymentsFor('emb-dead')).toHaveLength(1), { timeout: 10_000 });
    const err = await openai.embeddings.create({ model: 'emb-dead', input: 'hello' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
    expect((err as InstanceType<typeof OpenAI.APIError>).message).toMatch(/^503 openai: could not be reached \(ECONNREFUSED\)$/);
    const requestId = (err as InstanceType<typeof OpenAI.APIError>).headers?.get('x-request-id') ?? '';
    await vi.waitFor(
      async () => {
        const [event] = await eventFor(requestId);
        expect(event?.type).toBe('RequestFailed');
        expect(event?.data).toMatchObject({ api: 'openai.embeddings', errorCode: 'TOTRA_PROVIDER_UNAVAILABLE', attempts: 1 });
      },
      { timeout: 10_000, interval: 100 },
    );
  });

  it('exposes Prometheus metrics without a key', async () => {
    const res = await fetch(`${h.url}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/^totra_requests_total\{api="openai.chat",status="200",outcome="completed"\} \d+/m);
    expect(text).toContain('totra_gateway_overhead_seconds_bucket');
  });
});
