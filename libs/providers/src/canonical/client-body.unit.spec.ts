import { describe, expect, it } from 'vitest';
import { decodeAnthropicRequest } from '../anthropic/anthropic.codec.js';
import { decodeOpenAIChatRequest } from '../openai/openai-chat.codec.js';
import { rewriteClientBody } from './client-body.js';
import { forEachRequestText } from './helpers.js';

const EMAIL = 'jane@example.com';

/** The rewrites a scanner that pseudonymizes EMAIL makes in the request the decoder reads. */
function rewritesOf(texts: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const t of texts) if (t.includes(EMAIL)) out.set(t, t.replaceAll(EMAIL, '<EMAIL_1>'));
  return out;
}

describe('rewriteClientBody (ADR 0028)', () => {
  it('puts the rewritten texts into an OpenAI body, keeping every member the gateway does not read', () => {
    const image = { type: 'image_url', image_url: { url: 'https://example.com/a.png', detail: 'low' } };
    const body = {
      model: 'gpt-4o',
      user: EMAIL,
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: [{ type: 'text', text: `write to ${EMAIL}` }, image] },
        { role: 'assistant', content: null, audio: { id: 'audio_1' }, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'send', arguments: `{"to":"${EMAIL}"}` } }] },
        { role: 'tool', tool_call_id: 'c1', content: `sent to ${EMAIL}` },
      ],
      logprobs: true,
      stop: [`-- ${EMAIL}`],
      service_tier: 'flex',
    };
    const texts: string[] = [];
    forEachRequestText(decodeOpenAIChatRequest(body), (t) => texts.push(t));
    const rewrites = rewritesOf(texts);
    expect(rewrites.size).toBe(5);
    const out = rewriteClientBody(body, 'openai-chat', rewrites);
    expect(out?.parsed).toEqual({
      ...body,
      user: '<EMAIL_1>',
      messages: [
        body.messages[0],
        { role: 'user', content: [{ type: 'text', text: 'write to <EMAIL_1>' }, image] },
        { role: 'assistant', content: null, audio: { id: 'audio_1' }, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'send', arguments: '{"to":"<EMAIL_1>"}' } }] },
        { role: 'tool', tool_call_id: 'c1', content: 'sent to <EMAIL_1>' },
      ],
      stop: ['-- <EMAIL_1>'],
    });
    expect(JSON.parse(String(out?.raw))).toEqual(out?.parsed);
    // The client's body is left as it was.
    expect(JSON.stringify(body)).toContain(EMAIL);
  });

  it("puts them into an Anthropic body, a tool call's input included, keeping citations and cache markers", () => {
    const body = {
      model: 'claude',
      max_tokens: 100,
      metadata: { user_id: EMAIL },
      system: [{ type: 'text', text: 'rules', cache_control: { type: 'ephemeral' } }],
      messages: [
        { role: 'user', content: `find ${EMAIL}` },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'Found it.', citations: [{ type: 'char_location', cited_text: 'x', document_index: 0, start_char_index: 0, end_char_index: 1 }] },
            { type: 'tool_use', id: 't1', name: 'lookup', input: { email: EMAIL, limit: 3 } },
          ],
        },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'none' }] },
      ],
    };
    const texts: string[] = [];
    forEachRequestText(decodeAnthropicRequest(body), (t) => texts.push(t));
    const out = rewriteClientBody(body, 'anthropic-messages', rewritesOf(texts));
    expect(out?.parsed).toEqual({
      ...body,
      metadata: { user_id: '<EMAIL_1>' },
      messages: [
        { role: 'user', content: 'find <EMAIL_1>' },
        { role: 'assistant', content: [body.messages[1]?.content[0], { type: 'tool_use', id: 't1', name: 'lookup', input: { email: '<EMAIL_1>', limit: 3 } }] },
        body.messages[2],
      ],
    });
  });

  it('gives up (the caller translates) when a rewritten text is not in the body as it stands, or a rewritten input is no JSON', () => {
    const body = { model: 'gpt-4o', messages: [{ role: 'user', content: 'hello' }] };
    expect(rewriteClientBody(body, 'openai-chat', new Map([['a text the decoder made', 'x']]))).toBeUndefined();
    const anthropic = { model: 'c', max_tokens: 1, messages: [{ role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'n', input: { a: EMAIL } }] }] };
    expect(rewriteClientBody(anthropic, 'anthropic-messages', new Map([[`{"a":"${EMAIL}"}`, '{"a":<EMAIL_1>}']]))).toBeUndefined();
  });
});
