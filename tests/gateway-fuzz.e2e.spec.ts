import { readFileSync } from 'node:fs';
import { prng } from '@totra/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALIAS, startHarness, type Harness } from './support/gateway-harness.js';

// Valid requests of every inbound API, mutated at random (seeded: a failure names the seed and
// the body that reproduces it), sent to a running gateway in front of the mock providers. Whatever
// a client sends, the answer is never a 5xx, never a stack trace, and an error is in the shape of
// the API it was sent to, with a message. The table of gateway-bad-input.e2e.spec.ts says what
// each known mistake gets; this finds the mistakes nobody listed. The same from the other side:
// providers' answers and streams, mutated or malformed, get a 200 or a 502, and every request
// leaves exactly one terminal event.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const IMAGE = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

const chatSeed = (model: string): Json => ({
  model,
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: [{ type: 'text', text: 'what is in the picture?' }, { type: 'image_url', image_url: { url: IMAGE, detail: 'low' } }] },
    { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'look', arguments: '{"at":"picture"}' } }] },
    { role: 'tool', tool_call_id: 'call_1', content: 'a cat' },
  ],
  tools: [{ type: 'function', function: { name: 'look', description: 'looks', parameters: { type: 'object', properties: { at: { type: 'string' } } } } }],
  tool_choice: 'auto',
  temperature: 0.5,
  max_tokens: 20,
  stop: ['END'],
  response_format: { type: 'json_object' },
  user: 'user-1',
  metadata: { ticket: 'T-1' },
});

const responsesSeed = (model: string): Json => ({
  model,
  instructions: 'Be brief.',
  input: [
    { role: 'user', content: [{ type: 'input_text', text: 'look' }, { type: 'input_image', image_url: IMAGE }] },
    { type: 'function_call', call_id: 'call_1', name: 'look', arguments: '{}' },
    { type: 'function_call_output', call_id: 'call_1', output: 'a cat' },
  ],
  tools: [{ type: 'function', name: 'look', parameters: { type: 'object', properties: {} } }],
  text: { format: { type: 'json_schema', name: 'answer', schema: { type: 'object' } } },
  max_output_tokens: 20,
});

const messagesSeed = (model: string): Json => ({
  model,
  max_tokens: 20,
  system: [{ type: 'text', text: 'Be brief.' }],
  messages: [
    { role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: IMAGE.slice(22) } }] },
    { role: 'assistant', content: [{ type: 'thinking', thinking: 'hm', signature: 'sig' }, { type: 'tool_use', id: 'toolu_1', name: 'look', input: { at: 'picture' } }] },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'a cat' }] }] },
  ],
  tools: [{ name: 'look', description: 'looks', input_schema: { type: 'object', properties: {} } }],
  tool_choice: { type: 'auto' },
  stop_sequences: ['END'],
  metadata: { user_id: 'user-1' },
});

interface Target {
  path: string;
  shape: 'openai' | 'anthropic';
  seed: Json;
}

const TARGETS: Target[] = [
  { path: '/v1/chat/completions', shape: 'openai', seed: chatSeed(ALIAS.openai) },
  { path: '/v1/chat/completions', shape: 'openai', seed: chatSeed(ALIAS.anthropic) },
  { path: '/v1/chat/completions', shape: 'openai', seed: chatSeed(ALIAS.gemini) },
  { path: '/v1/chat/completions', shape: 'openai', seed: chatSeed(ALIAS.bedrock) },
  { path: '/v1/responses', shape: 'openai', seed: responsesSeed(ALIAS.openai) },
  { path: '/v1/responses', shape: 'openai', seed: responsesSeed(ALIAS.anthropic) },
  { path: '/v1/messages', shape: 'anthropic', seed: messagesSeed(ALIAS.anthropic) },
  { path: '/v1/messages', shape: 'anthropic', seed: messagesSeed(ALIAS.openai) },
  { path: '/v1/messages', shape: 'anthropic', seed: messagesSeed(ALIAS.cohere) },
  { path: '/v1/messages/count_tokens', shape: 'anthropic', seed: messagesSeed(ALIAS.anthropic) },
  { path: '/v1/embeddings', shape: 'openai', seed: { model: 'text-embedding-3-small', input: ['first text', 'second text'], dimensions: 8, encoding_format: 'float' } },
];

/** Values of every JSON type, and the edges of each. */
const ODD: readonly Json[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  1e308,
  -1e308,
  2 ** 53 + 2,
  '',
  ' ',
  'x',
  '💥\u0000\u202e',
  'a'.repeat(5000),
  [],
  [null],
  [[[[[[[[[[[]]]]]]]]]]],
  {},
  { type: 'text' },
  { type: '???', text: 1 },
  'user',
  'assistant',
  'tool',
  'function',
  'text',
  'image_url',
  'input_text',
  'tool_use',
  'tool_result',
  'document',
  'json_schema',
  'auto',
  'none',
  'required',
  'gpt-4o',
];

/** Every place in a JSON value: the path of keys and indexes to it. */
function places(value: Json, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(at);
  if (Array.isArray(value)) value.forEach((v, i) => places(v, [...at, i], out));
  else if (value !== null && typeof value === 'object') for (const k of Object.keys(value)) places(value[k] as Json, [...at, k], out);
  return out;
}

function parentOf(root: Json, path: (string | number)[]): { parent: Json[] | Record<string, Json>; key: string | number } | undefined {
  if (path.length === 0) return undefined;
  let node: Json = root;
  for (const step of path.slice(0, -1)) node = (node as Record<string, Json>)[step as string] as Json;
  return { parent: node as Json[] | Record<string, Json>, key: path[path.length - 1] as string | number };
}

/** One to three mutations of a deep copy of `seed`. */
function mutate(seed: Json, random: () => number): Json {
  let body = structuredClone(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const times = 1 + Math.floor(random() * 3);
  for (let n = 0; n < times; n++) {
    const path = pick(places(body));
    const spot = parentOf(body, path);
    const op = random();
    if (!spot) {
      if (op < 0.1) body = structuredClone(pick(ODD));
      continue;
    }
    const { parent, key } = spot;
    if (op < 0.45) (parent as Record<string, Json>)[key as string] = structuredClone(pick(ODD));
    else if (op < 0.65) {
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key as string];
    } else if (op < 0.8) {
      const target = (parent as Record<string, Json>)[key as string];
      if (Array.isArray(target)) target.push(structuredClone(target[0] ?? null), structuredClone(pick(ODD)));
      else if (target !== null && typeof target === 'object') target[pick(['extra', 'type', 'role', 'content', 'text', 'id', 'cache_control'])] = structuredClone(pick(ODD));
    } else if (op < 0.9) {
      // A value of the same place elsewhere in the seed: types that parse apart.
      (parent as Record<string, Json>)[key as string] = structuredClone(pick(places(seed)).reduce<Json>((node, step) => (node as Record<string, Json>)[step as string] as Json, seed));
    } else if (!Array.isArray(parent)) (parent as Record<string, Json>)['stream'] = pick([true, false, null, 'yes']);
  }
  return body;
}

const SEEDS = 20;
const PER_SEED = 6;

/** Answers no provider should give: cut, empty, of the wrong type, of another API, a broken stream. */
const BAD_ANSWERS: readonly { body: string; contentType?: string }[] = [
  { body: '' },
  { body: 'not json' },
  { body: '{"id":"x","choices":[{"message":{"content":"cut' },
  { body: 'null' },
  { body: '[]' },
  { body: '42' },
  { body: '{}' },
  { body: '{"choices":"all of them"}' },
  { body: '{"choices":[{"message":null,"finish_reason":7}]}' },
  { body: '{"content":[{"type":"text","text":5}],"usage":{"input_tokens":"many"}}' },
  { body: '{"candidates":[{"content":{"parts":"x"}}]}' },
  { body: '{"output":{"message":{"content":[{"toolUse":{"input":"{"}}]}}}' },
  { body: '{"message":{"content":[{"type":"tool_call"}]},"usage":{"tokens":{"input_tokens":-1}}}' },
  { body: '{"type":"message","content":[],"usage":{"input_tokens":1e308,"output_tokens":-5}}' },
  { body: '<html><body>502 Bad Gateway</body></html>', contentType: 'text/html' },
  { body: `{"type":"message","content":[{"type":"tool_use","id":"t","name":"f","input":{"a":${'['.repeat(20_000)}${']'.repeat(20_000)}}}],"choices":[{"message":{"content":"x","tool_calls":[{"id":"t","function":{"name":"f","arguments":"{}"}}]}}]}` },
  { body: 'data: {"choices":[{"delta":{"content":"hi"}}]}\n\ndata: {broken\n\n', contentType: 'text/event-stream' },
  { body: 'event: message_start\ndata: {"type":"message_start","message":null}\n\n', contentType: 'text/event-stream' },
  { body: 'data: [DONE]\n\n', contentType: 'text/event-stream' },
  { body: '\u0000\u00ff\u0001binary', contentType: 'application/vnd.amazon.eventstream' },
  { body: 'data: {"candidates":[{"content":{"parts":[{"text":7}]}}]}\n\n', contentType: 'text/event-stream' },
];

/** A provider's real answer (the adapters' test fixtures), to mutate. */
const text = (path: string): string => readFileSync(new URL(`../libs/providers/src/testdata/${path}`, import.meta.url), 'utf8');
const fixture = (path: string): Json => JSON.parse(text(path)) as Json;

const REAL_ANSWERS: readonly [alias: string, mock: 'openai' | 'anthropic' | 'gemini' | 'bedrock' | 'cohere' | 'ollama' | 'mistral', answer: Json][] = [
  [ALIAS.openai, 'openai', fixture('openai/chat-response-tools.json')],
  // Several choices (a request with n), which a client that asked for one may get all the same.
  [ALIAS.openai, 'openai', fixture('openai/chat-response-choices.json')],
  [ALIAS.anthropic, 'anthropic', fixture('anthropic/messages-response.json')],
  [ALIAS.gemini, 'gemini', fixture('gemini/generate-response.json')],
  [ALIAS.bedrock, 'bedrock', fixture('bedrock/converse-response.json')],
  [ALIAS.cohere, 'cohere', fixture('cohere/chat-response.json')],
  [ALIAS.ollama, 'ollama', fixture('ollama/chat-response.json')],
  [ALIAS.mistral, 'mistral', fixture('mistral/chat-response.json')],
];

const ANSWER_SEEDS = 6;

/** A provider's real stream: its framing, and the JSON of each of its messages. */
interface RealStream {
  alias: string;
  mock: 'openai' | 'anthropic' | 'gemini' | 'cohere' | 'ollama' | 'mistral';
  contentType: string;
  /** Each message as [event name or undefined, its JSON (undefined: a non-JSON payload such as [DONE])]. */
  messages: [string | undefined, Json | undefined, string][];
  ndjson?: true;
}

function sseMessages(source: string): RealStream['messages'] {
  return source
    .split(/\n\n+/)
    .filter((block) => block.trim().length > 0)
    .map((block) => {
      const event = /^event: ?(.*)$/m.exec(block)?.[1];
      const data = block
        .split('\n')
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).trimStart())
        .join('\n');
      let json: Json | undefined;
      try {
        json = JSON.parse(data) as Json;
      } catch {
        json = undefined;
      }
      return [event, json, data];
    });
}

const REAL_STREAMS: readonly RealStream[] = [
  { alias: ALIAS.openai, mock: 'openai', contentType: 'text/event-stream', messages: sseMessages(text('openai/chat-stream-tools.sse')) },
  { alias: ALIAS.openai, mock: 'openai', contentType: 'text/event-stream', messages: sseMessages(text('openai/chat-stream-choices.sse')) },
  { alias: ALIAS.anthropic, mock: 'anthropic', contentType: 'text/event-stream', messages: sseMessages(text('anthropic/messages-stream.sse')) },
  { alias: ALIAS.gemini, mock: 'gemini', contentType: 'text/event-stream', messages: sseMessages(text('gemini/stream.sse')) },
  { alias: ALIAS.cohere, mock: 'cohere', contentType: 'text/event-stream', messages: sseMessages(text('cohere/stream.sse')) },
  { alias: ALIAS.mistral, mock: 'mistral', contentType: 'text/event-stream', messages: sseMessages(text('mistral/stream.sse')) },
  {
    alias: ALIAS.ollama,
    mock: 'ollama',
    contentType: 'application/x-ndjson',
    ndjson: true,
    messages: text('ollama/stream.ndjson')
      .split('\n')
      .filter(Boolean)
      .map((l) => [undefined, JSON.parse(l) as Json, l]),
  },
];

/** A real stream with one or two of its messages mutated (or dropped, or cut short). */
function mutateStream(stream: RealStream, random: () => number): string {
  const messages = stream.messages.map(([event, json, data]) => [event, json, data] as [string | undefined, Json | undefined, string]);
  const times = 1 + Math.floor(random() * 2);
  for (let n = 0; n < times; n++) {
    const i = Math.floor(random() * messages.length);
    const target = messages[i] as [string | undefined, Json | undefined, string];
    const op = random();
    if (op < 0.7 && target[1] !== undefined) target[2] = JSON.stringify(mutate(target[1], random));
    else if (op < 0.85) messages.splice(i, 1);
    else messages.splice(i + 1);
  }
  if (stream.ndjson) return messages.map(([, , data]) => `${data}\n`).join('');
  return messages.map(([event, , data]) => `${event !== undefined ? `event: ${event}\n` : ''}data: ${data}\n\n`).join('');
}

const STREAM_SEEDS = 10;

/** The same question in each client API: where it goes and its body. */
function ask(api: 'openai' | 'anthropic' | 'responses', model: string, stream: boolean): [string, unknown] {
  if (api === 'openai') return ['/v1/chat/completions', { model, max_tokens: 16, stream, ...(model === ALIAS.openai ? { n: 2 } : {}), messages: [{ role: 'user', content: 'hi' }] }];
  if (api === 'anthropic') return ['/v1/messages', { model, max_tokens: 16, stream, messages: [{ role: 'user', content: 'hi' }] }];
  return ['/v1/responses', { model, max_output_tokens: 16, stream, input: 'hi' }];
}

const CLIENT_APIS = ['openai', 'anthropic', 'responses'] as const;

describe('gateway under mutated requests of every API', () => {
  let h: Harness;

  beforeAll(async () => {
    // The breakers stay shut: every bad answer reaches the parsers instead of an open breaker.
    h = await startHarness({ env: { TOTRA_BREAKER_FAILURES: '1000' } });
  });
  afterAll(async () => {
    await h?.close();
  });

  /** Each request (by x-request-id, with what it was) left exactly one terminal event. */
  async function expectOneTerminalEvent(requests: ReadonlyMap<string, string>): Promise<void> {
    const count = new Map<string, number>();
    for (const e of await h.events()) {
      if (e.type !== 'RequestCompleted' && e.type !== 'RequestFailed' && e.type !== 'RequestRejected') continue;
      const id = (e.data as { requestId?: string }).requestId ?? '';
      count.set(id, (count.get(id) ?? 0) + 1);
    }
    expect(requests.size).toBeGreaterThan(0);
    for (const [id, where] of requests) expect(count.get(id), where).toBe(1);
  }

  it('never answers 5xx or a stack trace, and every error is in its API shape with a message', async () => {
    let sent = 0;
    const statuses = new Map<number, number>();
    for (let seed = 1; seed <= SEEDS; seed++) {
      const random = prng(seed);
      for (const target of TARGETS) {
        for (let n = 0; n < PER_SEED; n++) {
          const body = mutate(target.seed, random);
          const res = await fetch(`${h.url}${target.path}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${h.key}`, 'anthropic-version': '2023-06-01' },
            body: JSON.stringify(body),
          });
          const text = await res.text();
          sent++;
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          const where = `seed ${seed}, ${target.path}, body ${JSON.stringify(body).slice(0, 1500)}\n-> ${res.status} ${text.slice(0, 500)}`;
          expect(res.status, where).toBeLessThan(500);
          expect(text, where).not.toMatch(/\n\s+at .+\(.*:\d+:\d+\)/);
          if (res.status < 400) continue;
          const error = JSON.parse(text) as { type?: string; error?: { type?: string; message?: string } };
          if (target.shape === 'anthropic') expect(error.type, where).toBe('error');
          expect(error.error?.type, where).toMatch(/^[a-z_]+$/);
          expect(error.error?.message?.length ?? 0, where).toBeGreaterThan(10);
          // Never zod's bare verdict on a union: the message says what was expected there.
          expect(error.error?.message, where).not.toMatch(/: Invalid input$/);
        }
      }
    }
    expect(sent).toBe(SEEDS * TARGETS.length * PER_SEED);
    // Both kinds of outcome were exercised: answers and refusals.
    expect(statuses.get(200) ?? 0).toBeGreaterThan(0);
    expect([...statuses.keys()].some((s) => s >= 400)).toBe(true);
  });

  it('records a request whose provider reports impossible token counts with estimated tokens, neither crediting nor breaking the books', async () => {
    const answer = { id: 'msg_odd', type: 'message', role: 'assistant', model: 'claude', content: [{ type: 'text', text: 'hi' }], stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: -3, output_tokens: 2 ** 53 + 2 } };
    h.mocks.anthropic.setBehaviour({ fault: { type: 'raw', body: JSON.stringify(answer) } });
    const res = await fetch(`${h.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${h.key}`, 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: ALIAS.anthropic, max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }),
    });
    h.mocks.anthropic.resetBehaviour();
    expect(res.status).toBe(200);
    const id = res.headers.get('x-request-id');
    const [done] = (await h.events()).filter((e) => e.type === 'RequestCompleted' && (e.data as { requestId?: string }).requestId === id);
    const tokens = (done?.data as { tokens: { input: number; output: number; estimated: boolean } } | undefined)?.tokens;
    expect(tokens?.estimated).toBe(true);
    expect(tokens?.input).toBeGreaterThan(0);
    expect(tokens?.output).toBeGreaterThanOrEqual(0);
    expect(Number.isSafeInteger(tokens?.output)).toBe(true);
  });

  it("answers mutations of every provider's real answer without a 500, and records each request once", async () => {
    const ids = new Map<string, string>();
    for (let seed = 1; seed <= ANSWER_SEEDS; seed++) {
      const random = prng(1000 + seed);
      for (const [model, mock, answer] of REAL_ANSWERS) {
        for (const api of CLIENT_APIS) {
          const mutated = mutate(answer, random);
          h.mocks[mock].setBehaviour({ fault: { type: 'raw', body: JSON.stringify(mutated) } });
          const [path, question] = ask(api, model, false);
          const res = await fetch(`${h.url}${path}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${h.key}`, 'anthropic-version': '2023-06-01' },
            body: JSON.stringify(question),
          });
          const text = await res.text();
          const where = `seed ${seed}: ${mock} answering ${JSON.stringify(mutated).slice(0, 1500)} to ${api}\n-> ${res.status} ${text.slice(0, 500)}`;
          expect([200, 502], where).toContain(res.status);
          expect(text, where).not.toMatch(/\n\s+at .+\(.*:\d+:\d+\)/);
          ids.set(res.headers.get('x-request-id') ?? '', where);
        }
        h.mocks[mock].resetBehaviour();
      }
    }
    await expectOneTerminalEvent(ids);
  });

  it("streams mutations of every provider's real stream without a 500, and records each request once", async () => {
    const ids = new Map<string, string>();
    for (let seed = 1; seed <= STREAM_SEEDS; seed++) {
      const random = prng(2000 + seed);
      for (const stream of REAL_STREAMS) {
        for (const api of CLIENT_APIS) {
          const body = mutateStream(stream, random);
          h.mocks[stream.mock].setBehaviour({ fault: { type: 'raw', body, contentType: stream.contentType } });
          const [path, question] = ask(api, stream.alias, true);
          const res = await fetch(`${h.url}${path}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${h.key}`, 'anthropic-version': '2023-06-01' },
            body: JSON.stringify(question),
          });
          const answer = await res.text();
          const where = `seed ${seed}: ${stream.mock} streaming ${JSON.stringify(body).slice(0, 2500)} to ${api}\n-> ${res.status} ${answer.slice(0, 600)}`;
          expect([200, 502], where).toContain(res.status);
          expect(answer, where).not.toMatch(/\n\s+at .+\(.*:\d+:\d+\)/);
          ids.set(res.headers.get('x-request-id') ?? '', where);
        }
        h.mocks[stream.mock].resetBehaviour();
      }
    }
    await expectOneTerminalEvent(ids);
  });

  it("answers a provider's malformed answers without a 500, and records each request once", async () => {
    const models: [string, keyof Harness['mocks']][] = [
      [ALIAS.openai, 'openai'],
      [ALIAS.anthropic, 'anthropic'],
      [ALIAS.gemini, 'gemini'],
      [ALIAS.bedrock, 'bedrock'],
      [ALIAS.cohere, 'cohere'],
      [ALIAS.ollama, 'ollama'],
    ];
    const ids = new Map<string, string>();
    for (const [model, mock] of models) {
      for (const answer of BAD_ANSWERS) {
        h.mocks[mock].setBehaviour({ fault: { type: 'raw', body: answer.body, ...(answer.contentType ? { contentType: answer.contentType } : {}) } });
        for (const [path, body] of [
          ['/v1/chat/completions', { model, messages: [{ role: 'user', content: 'hi' }] }],
          ['/v1/chat/completions', { model, stream: true, messages: [{ role: 'user', content: 'hi' }] }],
          ['/v1/messages', { model, max_tokens: 16, stream: true, messages: [{ role: 'user', content: 'hi' }] }],
        ] as const) {
          const res = await fetch(`${h.url}${path}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${h.key}`, 'anthropic-version': '2023-06-01' },
            body: JSON.stringify(body),
          });
          const text = await res.text();
          const where = `${mock} answering ${JSON.stringify(answer)} to ${path} ${JSON.stringify(body)}\n-> ${res.status} ${text.slice(0, 500)}`;
          expect(res.status, where).not.toBe(500);
          expect([200, 502], where).toContain(res.status);
          expect(text, where).not.toMatch(/\n\s+at .+\(.*:\d+:\d+\)/);
          if (res.status === 502) {
            const error = JSON.parse(text) as { error?: { message?: string } };
            expect(error.error?.message?.length ?? 0, where).toBeGreaterThan(10);
          }
          ids.set(res.headers.get('x-request-id') ?? '', where);
        }
      }
      h.mocks[mock].resetBehaviour();
    }
    // Every request left exactly one terminal event, answered or failed.
    await expectOneTerminalEvent(ids);
  });
});
