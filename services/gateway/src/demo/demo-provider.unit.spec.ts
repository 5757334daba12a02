import { describe, expect, it } from 'vitest';
import { type ChatRequest } from '@totra/providers';
import { demoResponse, demoStream } from './demo-provider.js';

const ask = (maxTokens?: number): ChatRequest => ({ model: 'demo', stream: false, messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello ToTra' }] }], ...(maxTokens === undefined ? {} : { maxTokens }) });

describe('the demo model', () => {
  it('echoes the last user message and reports usage', () => {
    const r = demoResponse(ask(), 'id-1');
    expect(r.text).toMatch(/A model would have received: Hello ToTra$/);
    expect(r.finishReason).toBe('stop');
    expect(r.usage?.outputTokens).toBe(Math.ceil(r.text.length / 4));
  });

  it('stops at max_tokens like a real model: a budget reservation of that many output tokens holds', () => {
    const r = demoResponse(ask(10), 'id-2');
    expect(r.finishReason).toBe('length');
    expect(r.usage?.outputTokens).toBe(10);
    expect(r.text.length).toBeLessThanOrEqual(40);
    const events = demoStream(ask(10), 'id-3');
    expect(events.filter((e) => e.type === 'text_delta').map((e) => (e as { text: string }).text).join('')).toBe(r.text);
    expect(events).toContainEqual({ type: 'finish', finishReason: 'length' });
  });
});
