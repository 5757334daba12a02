import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Envelope } from '@totra/events';
import { ALIAS, startHarness, type Harness, type MockName } from './support/gateway-harness.js';

// Ten thousand requests through a running gateway (real NATS, Redis, projector; mock providers):
// chat and streamed chat on the OpenAI and Anthropic routes across providers, with about 5%
// refused (bad key, unknown model). Every request must get its status and leave exactly one
// terminal event named by its x-request-id, and the event log must verify.

const TOTAL = 10_000;
const IN_FLIGHT = 50;
const PROVIDERS: MockName[] = ['openai', 'anthropic', 'gemini', 'mistral', 'bedrock', 'ollama', 'azure', 'cohere', 'compatible'];

type Route = 'openai' | 'anthropic';
type Kind = 'ok' | 'bad-key' | 'unknown-model';

interface Planned {
  i: number;
  route: Route;
  stream: boolean;
  provider: MockName;
  kind: Kind;
  status: number;
  /** Text the answer must contain (the mocks echo the prompt); refusals: the error message. */
  expect: string;
}

/**
 * Request `i` of the mix: routes alternate, then stream or not, then the provider; one request in
 * each block of 20 is refused, alternately for a bad key and an unknown model, at an offset that
 * moves so that refusals hit both routes, streamed or not.
 */
function plan(i: number): Planned {
  const route: Route = i % 2 === 0 ? 'openai' : 'anthropic';
  const stream = Math.floor(i / 2) % 2 === 1;
  const provider = PROVIDERS[Math.floor(i / 4) % PROVIDERS.length] as MockName;
  const block = Math.floor(i / 20);
  const refused = i % 20 === 4 + (Math.floor(block / 2) % 4);
  const kind: Kind = !refused ? 'ok' : block % 2 === 0 ? 'bad-key' : 'unknown-model';
  if (kind === 'bad-key') return { i, route, stream, provider, kind, status: 401, expect: 'invalid API key' };
  if (kind === 'unknown-model') return { i, route, stream, provider, kind, status: 404, expect: 'GET /v1/models' };
  return { i, route, stream, provider, kind, status: 200, expect: `ping ${i} ${provider}` };
}

/** The answer text of a streamed response: OpenAI `delta.content` or Anthropic `text_delta` pieces, joined. */
function streamedText(sse: string): string {
  let text = '';
  for (const line of sse.split('\n')) {
    if (!line.startsWith('data: ') || line === 'data: [DONE]') continue;
    const frame = JSON.parse(line.slice(6)) as { choices?: { delta?: { content?: string } }[]; type?: string; delta?: { type?: string; text?: string } };
    text += frame.choices?.[0]?.delta?.content ?? (frame.type === 'content_block_delta' && frame.delta?.type === 'text_delta' ? (frame.delta.text ?? '') : '');
  }
  return text;
}

interface Outcome {
  p: Planned;
  status: number;
  requestId: string | undefined;
  problem: string | undefined;
}

describe('10,000 requests through the gateway', () => {
  let h: Harness;
  let agent: Agent;

  beforeAll(async () => {
    h = await startHarness();
    agent = new Agent({ connections: IN_FLIGHT, pipelining: 1 });
  });
  afterAll(async () => {
    await agent?.close();
    await h?.close();
  });

  async function send(p: Planned): Promise<Outcome> {
    const key = p.kind === 'bad-key' ? `tt-${'0'.repeat(39)}${p.i % 10}` : h.key;
    const model = p.kind === 'unknown-model' ? `no-such-model-${p.i}` : ALIAS[p.provider];
    const messages = [{ role: 'user', content: p.expect }];
    const anthropic = p.route === 'anthropic';
    const body = anthropic ? { model, max_tokens: 64, stream: p.stream, messages } : { model, stream: p.stream, messages };
    const res = await request(`${h.url}${anthropic ? '/v1/messages' : '/v1/chat/completions'}`, {
      method: 'POST',
      dispatcher: agent,
      headers: {
        'content-type': 'application/json',
        ...(anthropic ? { 'x-api-key': key, 'anthropic-version': '2023-06-01' } : { authorization: `Bearer ${key}` }),
      },
      body: JSON.stringify(body),
    });
    const text = await res.body.text();
    const header = res.headers['x-request-id'];
    const requestId = typeof header === 'string' ? header : undefined;
    let problem: string | undefined;
    if (res.statusCode !== p.status) problem = `status ${res.statusCode}, expected ${p.status}: ${text.slice(0, 200)}`;
    else if (!(p.status === 200 && p.stream ? streamedText(text) : text).includes(p.expect)) problem = `answer lacks "${p.expect}": ${text.slice(0, 200)}`;
    else if (p.status === 200 && p.stream && !text.includes(anthropic ? 'event: message_stop' : 'data: [DONE]')) problem = 'stream did not finish';
    else if (p.status === 200 && !p.stream && !/^application\/json/.test(String(res.headers['content-type']))) problem = `content-type ${String(res.headers['content-type'])}`;
    return { p, status: res.statusCode, requestId, problem };
  }

  it(
    'answers each with its status, records each once, and the log verifies',
    { timeout: 90_000 },
    async () => {
      const planned = Array.from({ length: TOTAL }, (_, i) => plan(i));
      const outcomes: Outcome[] = [];
      let next = 0;
      // A plain worker pool: IN_FLIGHT loops, each taking the next request when its last one ended.
      const worker = async () => {
        while (next < planned.length) {
          const p = planned[next++] as Planned;
          try {
            outcomes.push(await send(p));
          } catch (err) {
            outcomes.push({ p, status: 0, requestId: undefined, problem: `request failed: ${(err as Error).message}` });
          }
        }
      };
      await Promise.all(Array.from({ length: IN_FLIGHT }, worker));

      expect(outcomes.length).toBe(TOTAL);
      const problems = outcomes.filter((o) => o.problem !== undefined).map((o) => `#${o.p.i} ${o.p.route} ${o.p.provider} stream=${o.p.stream}: ${o.problem}`);
      expect(problems.slice(0, 10), `${problems.length} requests went wrong`).toEqual([]);

      // The mix is what it claims to be.
      const count = (f: (p: Planned) => boolean) => planned.filter(f).length;
      expect(count((p) => p.kind !== 'ok')).toBe(TOTAL / 20);
      expect(count((p) => p.kind === 'bad-key')).toBe(TOTAL / 40);
      expect(count((p) => p.kind === 'ok' && p.stream && p.route === 'anthropic')).toBeGreaterThan(2000);
      expect(count((p) => p.kind === 'ok' && !p.stream && p.route === 'openai')).toBeGreaterThan(2000);
      for (const route of ['openai', 'anthropic'] as const) {
        for (const stream of [false, true]) {
          for (const kind of ['bad-key', 'unknown-model'] as const) expect(count((p) => p.kind === kind && p.route === route && p.stream === stream)).toBeGreaterThan(50);
        }
      }
      for (const name of PROVIDERS) expect(h.mocks[name].requestCount, name).toBeGreaterThan(900);

      // Every response named its request, each name once.
      const ids = outcomes.map((o) => o.requestId);
      expect(ids.filter((id) => id === undefined).length).toBe(0);
      const byId = new Map(outcomes.map((o) => [o.requestId as string, o]));
      expect(byId.size).toBe(TOTAL);

      // Exactly one terminal event per request, with its id, status and outcome.
      const events: Envelope[] = await h.events();
      const terminal = events.filter((e) => e.type === 'RequestCompleted' || e.type === 'RequestRejected' || e.type === 'RequestFailed');
      expect(terminal.length).toBe(TOTAL);
      const seen = new Set<string>();
      const mismatches: string[] = [];
      for (const e of terminal) {
        const data = e.data as { requestId: string; status: number; provider?: string; stream?: boolean; code?: string };
        const o = byId.get(data.requestId);
        if (!o) {
          mismatches.push(`${e.type} ${data.requestId}: no such response`);
          continue;
        }
        if (seen.has(data.requestId)) mismatches.push(`${data.requestId}: recorded twice`);
        seen.add(data.requestId);
        const expectedType = o.p.kind === 'ok' ? 'RequestCompleted' : 'RequestRejected';
        if (e.type !== expectedType) mismatches.push(`#${o.p.i}: ${e.type}, expected ${expectedType}`);
        if (data.status !== o.status) mismatches.push(`#${o.p.i}: event status ${data.status}, response ${o.status}`);
        if (o.p.kind === 'ok' && data.stream !== o.p.stream) mismatches.push(`#${o.p.i}: event stream=${String(data.stream)}`);
        if (o.p.kind === 'unknown-model' && data.code !== 'TOTRA_UNKNOWN_MODEL') mismatches.push(`#${o.p.i}: code ${String(data.code)}`);
      }
      expect(mismatches.slice(0, 10), `${mismatches.length} event mismatches`).toEqual([]);
      expect(seen.size).toBe(TOTAL);

      const report = await h.verify();
      expect(report.findings).toEqual([]);
      expect(report.findingsTotal).toBe(0);
      expect(report.ok).toBe(true);
      // SpendRecorded events are appended after each response is sent, so the log may have grown
      // since the snapshot above; the terminal events were counted exactly there.
      expect(report.events).toBeGreaterThanOrEqual(events.length);

      const cli = await h.cli('verify', ...h.cliArgs);
      expect(cli.code, cli.err).toBe(0);
      expect(cli.out).toMatch(/^OK: /);
    },
  );
});
