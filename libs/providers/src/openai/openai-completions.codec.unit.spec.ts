import { describe, expect, it } from 'vitest';
import { extraMembersFor, passthroughFor, prepareRequest, type Deployment, type PassthroughStreamParser } from '../adapters/adapter.js';
import { rewriteClientBody } from '../canonical/client-body.js';
import { createStreamAccumulator, type StreamEvent } from '../canonical/stream-event.js';
import { InboundRequestError, UnsupportedFeatureError } from '../errors.js';
import { anthropicAdapter } from '../anthropic/anthropic.adapter.js';
import { feed, splitPlans, utf8 } from '../testdata/feed.js';
import responseRaw from '../testdata/openai/completions-response.json?raw';
import streamRaw from '../testdata/openai/completions-stream.sse?raw';
import {
  createOpenAICompletionsStreamEncoder,
  decodeOpenAICompletionsRequest,
  decodeOpenAICompletionsResponse,
  encodeOpenAICompletionsResponse,
  isOpenAICompletionModel,
} from './openai-completions.codec.js';
import { azureOpenAIAdapter, openaiAdapter, openaiCompatibleAdapter } from './openai.adapter.js';

const bodyOf = (body: string | Uint8Array): Record<string, unknown> => JSON.parse(typeof body === 'string' ? body : new TextDecoder().decode(body)) as Record<string, unknown>;
const refusal = (body: unknown): InboundRequestError => {
  try {
    decodeOpenAICompletionsRequest(body);
  } catch (err) {
    if (err instanceof InboundRequestError) return err;
    throw err;
  }
  throw new Error('expected a 400');
};

describe('Completions requests -> canonical', () => {
  it('reads the prompt as one user message, with OpenAI’s default of 16 output tokens', () => {
    expect(decodeOpenAICompletionsRequest({ model: 'gpt-4o', prompt: 'Say this is a test' })).toEqual({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Say this is a test' }] }],
      maxTokens: 16,
      stream: false,
    });
  });

  it('reads the sampling members, a stop string, several choices and streamed usage', () => {
    const req = decodeOpenAICompletionsRequest({
      model: 'gpt-3.5-turbo-instruct',
      prompt: ['Once upon a time'],
      max_tokens: 200,
      temperature: 0.2,
      top_p: 0.9,
      n: 3,
      stop: '\n',
      seed: 7,
      frequency_penalty: 0.5,
      presence_penalty: -0.5,
      user: 'end-user-1',
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(req).toMatchObject({ maxTokens: 200, temperature: 0.2, topP: 0.9, choices: 3, stop: ['\n'], seed: 7, frequencyPenalty: 0.5, presencePenalty: -0.5, user: 'end-user-1', stream: true, includeUsage: true });
    expect(req.messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'Once upon a time' }] }]);
    expect(req.extra).toBeUndefined();
  });

  it('reads several prompts as a user message each, every prompt’s answers counted as choices', () => {
    const req = decodeOpenAICompletionsRequest({ model: 'gpt-3.5-turbo-instruct', prompt: ['First', 'Second', 'Third'], n: 2 });
    expect(req.messages.map((m) => m.content)).toEqual([[{ type: 'text', text: 'First' }], [{ type: 'text', text: 'Second' }], [{ type: 'text', text: 'Third' }]]);
    expect(req).toMatchObject({ batchedPrompts: 3, choices: 6 });
    expect(decodeOpenAICompletionsRequest({ model: 'm', prompt: ['only'] })).not.toHaveProperty('batchedPrompts');
  });

  it('keeps the members it has no field for as the API’s own, and gives the suffix to the scanner', () => {
    const req = decodeOpenAICompletionsRequest({ model: 'compat', prompt: 'def add(a, b):', suffix: '# by jane@example.com', echo: true, logprobs: 2, best_of: 3, logit_bias: { '50256': -100 } });
    expect(req.extra).toEqual({ format: 'openai-completions', members: { suffix: '# by jane@example.com', echo: true, logprobs: 2, best_of: 3, logit_bias: { '50256': -100 } } });
    expect(req.unreadTexts).toEqual(['# by jane@example.com']);
  });

  it.each([
    ['no prompt', { model: 'gpt-4o' }, 'prompt', /prompt/],
    ['an empty prompt list', { model: 'gpt-4o', prompt: [] }, 'prompt', /must not be empty/],
    ['token ids', { model: 'gpt-4o', prompt: [1212, 318, 257] }, 'prompt', /token ids are not taken here.*send the prompt as text/],
    ['lists of token ids', { model: 'gpt-4o', prompt: [[1212, 318]] }, 'prompt', /token ids/],
    ['more than 128 completions', { model: 'gpt-4o', prompt: ['a', 'b', 'c'], n: 43 }, 'prompt', /^prompt: 3 prompts with n = 43 ask for 129 completions; a request may ask for at most 128$/],
    ['a temperature above 2', { model: 'gpt-4o', prompt: 'x', temperature: 3 }, 'temperature', /2/],
    ['a stop sequence that is a number', { model: 'gpt-4o', prompt: 'x', stop: 42 }, 'stop', /stop/],
    ['zero output tokens', { model: 'gpt-4o', prompt: 'x', max_tokens: 0 }, 'max_tokens', /at least 1/],
    ['no model', { prompt: 'x' }, 'model', /model/],
  ])('refuses %s with a 400 naming the member', (_name, body, param, message) => {
    const err = refusal(body);
    expect(err.param).toBe(param);
    expect(err.message).toMatch(message);
  });
});

describe('canonical answers -> Completions', () => {
  it('writes a text_completion with every choice, its finish reason and the usage', () => {
    const res = decodeOpenAICompletionsResponse(JSON.parse(responseRaw));
    expect(encodeOpenAICompletionsResponse(res, { model: 'instruct' })).toEqual({
      id: 'cmpl-uqkvlQyYK7bGYrRHQ0eXlWi7',
      object: 'text_completion',
      created: 1589478378,
      model: 'instruct',
      choices: [
        { text: '\n\nThis is indeed a test', index: 0, logprobs: null, finish_reason: 'length' },
        { text: '\n\nThis is a test, café', index: 1, logprobs: null, finish_reason: 'stop' },
      ],
      usage: { prompt_tokens: 5, completion_tokens: 14, total_tokens: 19 },
    });
  });

  it('writes a chat model’s answer as a completion (a refusal is its text)', () => {
    const body = encodeOpenAICompletionsResponse({ id: 'msg_1', model: 'claude', created: 1, text: '', refusal: 'I cannot help with that.', toolCalls: [], finishReason: 'content_filter' });
    expect(body['choices']).toEqual([{ text: 'I cannot help with that.', index: 0, logprobs: null, finish_reason: 'content_filter' }]);
    expect(body['usage']).toBeUndefined();
  });

  it('streams text_completion chunks per choice, a finish chunk each, then the usage when asked and [DONE]', () => {
    const events: StreamEvent[] = [
      { type: 'message_start', id: 'cmpl-1', model: 'provider-model', created: 42 },
      { type: 'text_delta', text: 'Hel' },
      { type: 'text_delta', text: 'lo', choice: 1 },
      { type: 'reasoning_delta', text: 'hidden' },
      { type: 'finish', finishReason: 'length' },
      { type: 'finish', finishReason: 'stop', choice: 1 },
      { type: 'usage', usage: { inputTokens: 3, outputTokens: 4 } },
    ];
    const withUsage = createOpenAICompletionsStreamEncoder({ model: 'alias', includeUsage: true });
    const text = events.map((e) => withUsage.push(e)).join('') + withUsage.end();
    const chunks = text.split('\n\n').filter(Boolean).map((f) => f.slice('data: '.length));
    expect(chunks.at(-1)).toBe('[DONE]');
    const parsed = chunks.slice(0, -1).map((c) => JSON.parse(c) as Record<string, unknown>);
    expect(parsed.map((c) => c['choices'])).toEqual([
      [{ text: 'Hel', index: 0, logprobs: null, finish_reason: null }],
      [{ text: 'lo', index: 1, logprobs: null, finish_reason: null }],
      [{ text: '', index: 0, logprobs: null, finish_reason: 'length' }],
      [{ text: '', index: 1, logprobs: null, finish_reason: 'stop' }],
      [],
    ]);
    for (const c of parsed) expect(c).toMatchObject({ id: 'cmpl-1', object: 'text_completion', created: 42, model: 'alias' });
    expect(parsed.slice(0, -1).every((c) => c['usage'] === null)).toBe(true);
    expect(parsed.at(-1)?.['usage']).toEqual({ prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 });

    const plain = createOpenAICompletionsStreamEncoder({ model: 'alias' });
    const out = events.map((e) => plain.push(e)).join('') + plain.end();
    expect(out).not.toContain('usage');
    expect(out.endsWith('data: [DONE]\n\n')).toBe(true);
  });
});

describe('a provider’s Completions answers -> canonical', () => {
  it('reads every choice in the order of its index', () => {
    const shuffled = JSON.parse(responseRaw) as { choices: unknown[] };
    shuffled.choices.reverse();
    const res = decodeOpenAICompletionsResponse(shuffled);
    expect(res).toMatchObject({ text: '\n\nThis is indeed a test', finishReason: 'length', moreChoices: [{ text: '\n\nThis is a test, café', finishReason: 'stop' }] });
    expect(res.usage).toEqual({ inputTokens: 5, outputTokens: 14, totalTokens: 19 });
  });

  it('refuses a body without a choice’s text', () => {
    expect(() => decodeOpenAICompletionsResponse({ choices: [{ message: {} }] })).toThrow(/no choices\[0\]\.text/);
  });

  it.each(splitPlans(utf8(streamRaw).length))('reads a stream fed in any split ($name), forwarding every byte', ({ cuts }) => {
    const api = passthroughFor(openaiAdapter, 'openai-completions', { provider: 'openai', model: 'gpt-3.5-turbo-instruct' });
    const parser = api?.createStreamParser() as PassthroughStreamParser;
    let forwarded = '';
    const acc = createStreamAccumulator();
    const bytes = utf8(streamRaw);
    let start = 0;
    for (const cut of [...cuts, bytes.length]) {
      if (cut <= start) continue;
      const out = parser.push(bytes.slice(start, cut));
      forwarded += out.forward;
      acc.pushAll(out.events);
      start = cut;
    }
    const last = parser.end();
    forwarded += last.forward;
    acc.pushAll(last.events);
    expect(forwarded).toBe(streamRaw);
    expect(acc.result()).toMatchObject({ id: 'cmpl-7iA7iJjj8V2zOkCGvWF2hAkDWBQZe', text: 'This is a café', finishReason: 'stop', usage: { inputTokens: 4, outputTokens: 5, totalTokens: 9 } });
  });

  it('leaves out the usage chunk the gateway asked for when the client did not', () => {
    const api = passthroughFor(openaiCompatibleAdapter, 'openai-completions', { provider: 'openai-compatible', model: 'm', baseUrl: 'http://vllm:8000/v1' });
    const out = api?.createStreamParser({ stripUsageChunk: true }) as PassthroughStreamParser;
    const all = out.push(streamRaw);
    const rest = out.end();
    expect(all.forward + rest.forward).not.toContain('"prompt_tokens"');
    expect([...all.events, ...rest.events]).toContainEqual({ type: 'usage', usage: { inputTokens: 4, outputTokens: 5, totalTokens: 9 } });
    // The translated-stream parser (no forwarding) reads the same events.
    expect(feed({ push: (c) => api!.createStreamParser().push(c).events, end: () => [] }, utf8(streamRaw), []).filter((e) => e.type === 'text_delta')).toHaveLength(2);
  });
});

describe('the provider API a Completions client’s body goes to', () => {
  const instruct: Deployment = { provider: 'openai', model: 'gpt-3.5-turbo-instruct', apiKey: 'sk-1' };
  const prompt = { model: 'my-alias', prompt: 'Say this is a test', max_tokens: 7 };
  const input = (parsed: Record<string, unknown>) => ({ raw: JSON.stringify(parsed), parsed });

  it('is OpenAI’s Completions API for OpenAI’s completion models only', () => {
    expect(['gpt-3.5-turbo-instruct', 'gpt-3.5-turbo-instruct-0914', 'davinci-002', 'babbage-002'].every(isOpenAICompletionModel)).toBe(true);
    expect(['gpt-4o', 'gpt-3.5-turbo', 'gpt-4o-mini-instruct-x'].some(isOpenAICompletionModel)).toBe(false);
    expect(passthroughFor(openaiAdapter, 'openai-completions', { ...instruct, model: 'gpt-4o' })).toBeUndefined();
    expect(passthroughFor(azureOpenAIAdapter, 'openai-completions', { provider: 'azure-openai', model: 'prod-chat' })).toBeUndefined();
    expect(passthroughFor(anthropicAdapter, 'openai-completions', { provider: 'anthropic', model: 'claude-sonnet-4-5' })).toBeUndefined();

    const req = passthroughFor(openaiAdapter, 'openai-completions', instruct)?.buildRequest(input(prompt), instruct);
    expect(req?.url).toBe('https://api.openai.com/v1/completions');
    expect(req?.headers['authorization']).toBe('Bearer sk-1');
    expect(bodyOf(req!.body)).toEqual({ ...prompt, model: 'gpt-3.5-turbo-instruct' });
  });

  it('is an OpenAI-compatible server’s for every model, and Azure’s deployment path for a completion model', () => {
    const vllm: Deployment = { provider: 'openai-compatible', model: 'Qwen/Qwen2.5-Coder-7B', baseUrl: 'http://vllm:8000/v1' };
    const sent = passthroughFor(openaiCompatibleAdapter, 'openai-completions', vllm)?.buildRequest(input({ ...prompt, suffix: 'return x', stream: true }), vllm);
    expect(sent?.url).toBe('http://vllm:8000/v1/completions');
    expect(bodyOf(sent!.body)).toEqual({ ...prompt, model: 'Qwen/Qwen2.5-Coder-7B', suffix: 'return x', stream: true, stream_options: { include_usage: true } });
    expect(sent?.headers['accept']).toBe('text/event-stream');

    const azure: Deployment = { provider: 'azure-openai', model: 'gpt-3.5-turbo-instruct', baseUrl: 'https://r.openai.azure.com', apiKey: 'az' };
    const toAzure = passthroughFor(azureOpenAIAdapter, 'openai-completions', azure)?.buildRequest(input(prompt), azure);
    expect(toAzure?.url).toBe('https://r.openai.azure.com/openai/deployments/gpt-3.5-turbo-instruct/completions?api-version=2024-10-21');
    expect(toAzure?.headers['api-key']).toBe('az');
    // A deployment of the customer's own name is known by the model it names (ADR 0044).
    const named: Deployment = { ...azure, model: 'prod-instruct', baseModel: 'gpt-3.5-turbo-instruct' };
    expect(passthroughFor(azureOpenAIAdapter, 'openai-completions', named)?.buildRequest(input(prompt), named).url).toBe(
      'https://r.openai.azure.com/openai/deployments/prod-instruct/completions?api-version=2024-10-21',
    );
    expect(() => passthroughFor(azureOpenAIAdapter, 'openai-chat', named)?.buildRequest(input({ model: 'x', messages: [] }), named)).toThrow(/gpt-3\.5-turbo-instruct is one of OpenAI's completion models/);
    expect(passthroughFor(azureOpenAIAdapter, 'openai-completions', { ...named, baseModel: 'gpt-4o' })).toBeUndefined();
  });

  it('refuses a chat or Responses request for a completion model before it is sent, naming the API to use', async () => {
    const chat = { model: 'x', messages: [{ role: 'user', content: 'hi' }] };
    const message = /^model: gpt-3\.5-turbo-instruct is one of OpenAI's completion models, which answer the Completions API only: send a prompt to POST \/v1\/completions$/;
    expect(() => passthroughFor(openaiAdapter, 'openai-chat', instruct)?.buildRequest(input(chat), instruct)).toThrow(message);
    expect(() => passthroughFor(openaiAdapter, 'openai-responses', instruct)?.buildRequest(input({ model: 'x', input: 'hi' }), instruct)).toThrow(message);
    const azure: Deployment = { provider: 'azure-openai', model: 'davinci-002', baseUrl: 'https://r.openai.azure.com', apiKey: 'az' };
    await expect(prepareRequest(azureOpenAIAdapter, decodeOpenAICompletionsRequest({ model: 'x', prompt: 'hi' }), azure, new Date(0))).rejects.toThrow(UnsupportedFeatureError);
    // A compatible server of a model of that name serves whatever it serves.
    const compatible: Deployment = { provider: 'openai-compatible', model: 'gpt-3.5-turbo-instruct', baseUrl: 'http://proxy/v1' };
    expect(passthroughFor(openaiCompatibleAdapter, 'openai-chat', compatible)?.buildRequest(input(chat), compatible).url).toBe('http://proxy/v1/chat/completions');
  });

  it('sends the client’s bytes untouched when nothing must change, and writes a budget’s lower limit into max_tokens', () => {
    const api = passthroughFor(openaiAdapter, 'openai-completions', instruct)!;
    const raw = JSON.stringify({ ...prompt, model: 'gpt-3.5-turbo-instruct' });
    expect(api.buildRequest({ raw, parsed: JSON.parse(raw) as Record<string, unknown> }, instruct).body).toBe(raw);
    expect(bodyOf(api.buildRequest({ ...input(prompt), maxOutputTokens: 3 }, instruct).body)['max_tokens']).toBe(3);
  });

  it('puts the PII stage’s rewrites of the prompt and the suffix into the client’s body', () => {
    const body = { model: 'm', prompt: 'Mail jane@example.com', suffix: 'cc jane@example.com' };
    const rewritten = rewriteClientBody(body, 'openai-completions', new Map([['Mail jane@example.com', 'Mail <EMAIL_1>'], ['cc jane@example.com', 'cc <EMAIL_1>']]));
    expect(rewritten?.parsed).toEqual({ model: 'm', prompt: 'Mail <EMAIL_1>', suffix: 'cc <EMAIL_1>' });
  });

  it('translates for a chat model, and refuses the members only the Completions API takes, by name', async () => {
    const plain = decodeOpenAICompletionsRequest({ model: 'claude-sonnet-4-5', prompt: 'Hello', best_of: 1, logit_bias: {}, echo: false });
    const built = await prepareRequest(anthropicAdapter, plain, { provider: 'anthropic', model: 'claude-sonnet-4-5', apiKey: 'k' }, new Date(0));
    expect(bodyOf(built.body)).toMatchObject({ messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }], max_tokens: 16 });

    const batch = decodeOpenAICompletionsRequest({ model: 'claude-sonnet-4-5', prompt: ['a', 'b'] });
    await expect(prepareRequest(openaiAdapter, batch, { provider: 'openai', model: 'gpt-4o', apiKey: 'k' }, new Date(0))).rejects.toThrow(
      /^prompt: several prompts in one request \(this one has 2\) are answered by a provider's own Completions API only .*, and openai would be sent them as a chat; send each prompt in a request of its own$/,
    );

    const echo = decodeOpenAICompletionsRequest({ model: 'gpt-4o', prompt: 'Hello', echo: true, suffix: '!' });
    expect(() => extraMembersFor(echo, openaiAdapter)).toThrow(UnsupportedFeatureError);
    expect(() => extraMembersFor(echo, openaiAdapter)).toThrow('`echo`, `suffix` (of the OpenAI Completions request) cannot be sent to openai');
  });

  it('ends a metered stream at its cut in the Completions form, after the chunks forwarded as they came', () => {
    const api = passthroughFor(openaiAdapter, 'openai-completions', instruct)!;
    const parser = api.createStreamParser();
    const cutter = api.createStreamCutter!({ includeUsage: true });
    const [first] = parser.pushEach(streamRaw);
    cutter.forwarded(first!);
    const out = cutter.cut([{ type: 'text_delta', text: ' is' }, { type: 'usage', usage: { inputTokens: 4, outputTokens: 2 } }, { type: 'finish', finishReason: 'length' }]);
    const chunks = out.split('\n\n').filter(Boolean).map((f) => f.slice('data: '.length));
    expect(chunks.at(-1)).toBe('[DONE]');
    const parsed = chunks.slice(0, -1).map((c) => JSON.parse(c) as Record<string, unknown>);
    expect(parsed.map((c) => c['id'])).toEqual(Array(3).fill('cmpl-7iA7iJjj8V2zOkCGvWF2hAkDWBQZe'));
    expect(parsed.map((c) => c['choices'])).toEqual([
      [{ text: ' is', index: 0, logprobs: null, finish_reason: null }],
      [{ text: '', index: 0, logprobs: null, finish_reason: 'length' }],
      [],
    ]);
    expect(parsed[2]?.['usage']).toEqual({ prompt_tokens: 4, completion_tokens: 2, total_tokens: 6 });
  });
});
