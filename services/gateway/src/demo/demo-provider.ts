import { type ChatRequest, type ChatResponse, type EmbeddingsRequest, type EmbeddingsResponse, type StreamEvent } from '@totra/providers';

/**
 * The built-in `demo` model: a local echo, clearly labelled, so that a first request works on
 * a machine with no provider key and no internet. It never calls anything.
 */
export const DEMO_PROVIDER = 'demo';

function lastUserText(req: ChatRequest): string {
  for (let i = req.messages.length - 1; i >= 0; i--) {
    const m = req.messages[i];
    if (m?.role !== 'user') continue;
    if (typeof m.content === 'string') return m.content;
    return m.content.map((p) => (p.type === 'text' ? p.text : '')).join(' ').trim();
  }
  return '';
}

/** Rough token count for the demo (about 4 characters a token). */
function tokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

/**
 * The echo names what it echoes: the last user message as a model would have received it, after
 * the PII stage (an e-mail address shows as `<EMAIL_1>`; a real model's answer has the caller's
 * own value restored, the echo shows what left).
 */
export function demoReply(req: ChatRequest): string {
  const said = lastUserText(req);
  return `[ToTra demo model: a local echo, no LLM was called. Configure a provider key (e.g. OPENAI_API_KEY) for real answers.] A model would have received: ${said}`;
}

/**
 * The demo answer; like a real model, it stops at the request's `max_tokens` (finish reason
 * `length`). A request for several choices gets the echo once per choice, each numbered.
 */
export function demoResponse(req: ChatRequest, id: string): ChatResponse {
  const max = req.maxTokens ?? Infinity;
  const answer = (n: number) => {
    const full = n === 0 ? demoReply(req) : `(choice ${n + 1}) ${demoReply(req)}`;
    const cut = tokens(full) > max;
    return { text: cut ? full.slice(0, max * 4) : full, output: cut ? max : tokens(full), finishReason: cut ? ('length' as const) : ('stop' as const) };
  };
  const all = Array.from({ length: req.choices ?? 1 }, (_, n) => answer(n));
  const first = all[0] as ReturnType<typeof answer>;
  const input = tokens(JSON.stringify(req.messages));
  const output = all.reduce((sum, a) => sum + a.output, 0);
  const res: ChatResponse = {
    id,
    model: 'demo',
    created: Math.floor(Date.now() / 1000),
    text: first.text,
    toolCalls: [],
    finishReason: first.finishReason,
    usage: { inputTokens: input, outputTokens: output, totalTokens: input + output },
  };
  if (all.length > 1) res.moreChoices = all.slice(1).map((a) => ({ text: a.text, toolCalls: [], finishReason: a.finishReason }));
  return res;
}

/** The demo answer as stream events, a few words per chunk (choice after choice). */
export function demoStream(req: ChatRequest, id: string): StreamEvent[] {
  const res = demoResponse(req, id);
  const events: StreamEvent[] = [{ type: 'message_start', id, model: 'demo', created: res.created }];
  [res, ...(res.moreChoices ?? [])].forEach((c, n) => {
    const choice = n > 0 ? { choice: n } : {};
    const words = c.text.split(/(?<= )/);
    for (let i = 0; i < words.length; i += 3) events.push({ type: 'text_delta', text: words.slice(i, i + 3).join(''), ...choice });
    events.push({ type: 'finish', finishReason: c.finishReason, ...choice });
  });
  if (res.usage) events.push({ type: 'usage', usage: res.usage });
  return events;
}

/** Deterministic pseudo-embeddings (8 dimensions) for the demo model. */
export function demoEmbeddings(req: EmbeddingsRequest): EmbeddingsResponse {
  const embeddings = req.input.map((text) => {
    const v = new Array<number>(8).fill(0);
    for (let i = 0; i < text.length; i++) v[i % 8] = ((v[i % 8] ?? 0) + text.charCodeAt(i)) % 997;
    const norm = Math.hypot(...v) || 1;
    return v.map((x) => x / norm);
  });
  return { model: 'demo', embeddings, usage: { inputTokens: req.input.reduce((s, t) => s + tokens(t), 0) } };
}
