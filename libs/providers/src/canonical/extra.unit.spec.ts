import { describe, expect, it } from 'vitest';
import { type ProviderKind } from '../adapters/adapter.js';
import { buildBody as build } from '../adapters/adapters.test-kit.js';
import { decodeAnthropicRequest } from '../anthropic/anthropic.codec.js';
import { UnsupportedFeatureError } from '../errors.js';
import { decodeOpenAIChatRequest } from '../openai/openai-chat.codec.js';
import { decodeOpenAIResponsesRequest } from '../openai/openai-responses.codec.js';
import type { ChatRequest } from './chat.js';
import { unportableMembers } from './extra.js';
import { forEachRequestText, mapRequestText } from './helpers.js';

async function refusal(provider: ProviderKind, request: ChatRequest): Promise<UnsupportedFeatureError> {
  const err: unknown = await build(provider, request).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `${provider} should refuse`).toBeInstanceOf(UnsupportedFeatureError);
  return err as UnsupportedFeatureError;
}

const chat = (extra: Record<string, unknown>) => decodeOpenAIChatRequest({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], ...extra });

describe('members of the body the decoder does not read (ADR 0025)', () => {
  it('are kept, as sent, with the API they belong to; the members the decoder reads are not', () => {
    const req = chat({ logprobs: true, top_logprobs: 3, logit_bias: { '1234': -100 }, temperature: 0.5, user: 'u-1' });
    expect(req.extra).toEqual({ format: 'openai-chat', members: { logprobs: true, top_logprobs: 3, logit_bias: { '1234': -100 } } });
    expect(chat({}).extra).toBeUndefined();
    const anthropic = decodeAnthropicRequest({ model: 'claude', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }], container: 'c-1', top_k: 5 });
    expect(anthropic.extra).toEqual({ format: 'anthropic-messages', members: { container: 'c-1' } });
    const responses = decodeOpenAIResponsesRequest({ model: 'gpt-4o', input: 'hi', store: false, include: ['reasoning.encrypted_content'] });
    expect(responses.extra).toEqual({ format: 'openai-responses', members: { store: false, include: ['reasoning.encrypted_content'] } });
  });

  it('are sent on by every adapter of their own API, even when the request was rewritten', async () => {
    const req = chat({ logprobs: true, top_logprobs: 3, logit_bias: { '1234': -100 }, metadata: { ticket: 'T-1' }, store: true });
    const rewritten = mapRequestText(req, (t) => (t === 'hi' ? 'hello' : t));
    for (const provider of ['openai', 'azure-openai', 'openai-compatible'] as const) {
      const body = await build(provider, rewritten);
      expect(body, provider).toMatchObject({ logprobs: true, top_logprobs: 3, logit_bias: { '1234': -100 }, metadata: { ticket: 'T-1' }, store: true });
      expect(body['messages'], provider).toEqual([{ role: 'user', content: 'hello' }]);
    }
    const anthropic = decodeAnthropicRequest({ model: 'claude', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }], container: 'c-1', service_tier: 'auto' });
    expect(await build('anthropic', anthropic)).toMatchObject({ container: 'c-1', service_tier: 'auto', max_tokens: 10 });
  });

  it('never overwrite a member the encoder wrote', async () => {
    const req: ChatRequest = { ...chat({}), extra: { format: 'openai-chat', members: { model: 'other', seed: 1 } } };
    const body = await build('openai', req);
    expect(body['model']).toBe('gpt-4o');
    expect(body['seed']).toBe(1);
  });

  it('are refused by an adapter of another API when they change the answer, naming them', async () => {
    const req = chat({ logprobs: true, top_logprobs: 3 });
    for (const provider of ['anthropic', 'gemini', 'mistral', 'cohere', 'bedrock', 'ollama'] as const) {
      const err = await refusal(provider, req);
      expect(err.message, provider).toBe(`\`logprobs\`, \`top_logprobs\` (of the OpenAI Chat Completions request) cannot be sent to ${provider}: the gateway does not translate them into another API`);
      expect(err.provider).toBe(provider);
    }
    const anthropic = decodeAnthropicRequest({ model: 'claude', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }], context_management: { edits: [{ type: 'clear_tool_uses_20250919' }] } });
    expect((await refusal('openai', anthropic)).message).toContain('`context_management` (of the Anthropic Messages request) cannot be sent to openai');
    // The Responses API is not Chat Completions: its members are foreign to every adapter.
    const responses = decodeOpenAIResponsesRequest({ model: 'gpt-4o', input: 'hi', max_tool_calls: 3 });
    expect((await refusal('openai', responses)).message).toContain('`max_tool_calls` (of the OpenAI Responses request)');
  });

  it('are sent to a provider of another API that takes them under the same name, the others still refused', async () => {
    const body = await build('mistral', chat({ safe_prompt: true, store: true }));
    expect(body).toMatchObject({ safe_prompt: true, model: 'mistral-large-latest' });
    expect(body).not.toHaveProperty('store');
    expect((await refusal('mistral', chat({ safe_prompt: true, logprobs: true }))).message).toMatch(/^`logprobs` \(of the OpenAI Chat Completions request\) cannot be sent to mistral/);
    // Mistral's members are its own: refused by another provider.
    expect((await refusal('anthropic', chat({ safe_prompt: true }))).message).toMatch(/^`safe_prompt` /);
  });

  it('are left out elsewhere when they only tune a service or ask for nothing', async () => {
    const req = chat({ store: true, service_tier: 'flex', prompt_cache_key: 'k1', safety_identifier: 'h1', prediction: { type: 'content', content: 'x' }, verbosity: 'low', modalities: ['text'], logprobs: false, top_logprobs: null });
    expect(unportableMembers(req.extra!)).toEqual([]);
    for (const provider of ['anthropic', 'gemini', 'mistral', 'cohere', 'bedrock', 'ollama'] as const) {
      const body = JSON.stringify(await build(provider, req));
      for (const member of ['store', 'service_tier', 'prompt_cache_key', 'safety_identifier', 'prediction', 'verbosity', 'modalities', 'logprobs']) expect(body, `${provider} ${member}`).not.toContain(member);
    }
    const responses = decodeOpenAIResponsesRequest({ model: 'gpt-4o', input: 'hi', store: true, metadata: { ticket: 'T-1' }, truncation: 'auto', include: ['reasoning.encrypted_content'], background: false });
    const body = await build('openai', responses);
    // `metadata` goes to OpenAI only with `store: true`, which a Responses request cannot carry to Chat Completions.
    expect(Object.keys(body).filter((k) => ['store', 'metadata', 'truncation', 'include', 'background'].includes(k))).toEqual([]);
    expect(await build('openai', chat({ metadata: { ticket: 'T-1' } }))).not.toHaveProperty('metadata');
    const anthropic = decodeAnthropicRequest({ model: 'claude', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }], service_tier: 'standard_only' });
    expect(await build('openai', anthropic)).not.toHaveProperty('service_tier');
  });
});

describe('texts outside the conversation', () => {
  const req = chat({ user: 'jane@example.com', metadata: { owner: 'jane@example.com', team: 'ops' }, prediction: { type: 'content', content: [{ type: 'text', text: 'call jane@example.com' }] } });

  it('are visited after the messages, in a fixed order, as `field`', () => {
    const seen: [string, string][] = [];
    forEachRequestText(req, (text, where) => seen.push([text, where]));
    expect(seen).toEqual([
      ['hi', 'user'],
      ['jane@example.com', 'field'],
      ['jane@example.com', 'field'],
      ['ops', 'field'],
      ['content', 'field'],
      ['text', 'field'],
      ['call jane@example.com', 'field'],
    ]);
  });

  it('are rewritten where they are, and what does not change keeps its identity', () => {
    const out = mapRequestText(req, (t) => t.replaceAll('jane@example.com', '<EMAIL_1>'));
    expect(out.user).toBe('<EMAIL_1>');
    expect(out.metadata).toEqual({ owner: '<EMAIL_1>', team: 'ops' });
    expect(out.extra?.members['prediction']).toEqual({ type: 'content', content: [{ type: 'text', text: 'call <EMAIL_1>' }] });
    expect(out.messages).toBe(req.messages);
    expect(req.user).toBe('jane@example.com');
    expect(mapRequestText(req, (t) => t)).toBe(req);
  });
});

describe('texts inside members the decoder does not read (ADR 0030)', () => {
  const email = 'jane@example.com';
  const citation = { type: 'char_location', cited_text: `write to ${email}`, document_index: 0, document_title: 'Contract of Jane', start_char_index: 0, end_char_index: 25, file_id: 'file_1' };
  const anthropic = () =>
    decodeAnthropicRequest({
      model: 'claude',
      max_tokens: 10,
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'which clause?' }] },
        { role: 'assistant', content: [{ type: 'text', text: 'This one.', citations: [citation] }, { type: 'thinking', thinking: 'hm', signature: 'sig-abc' }] },
        { role: 'user', content: 'thanks' },
      ],
      metadata: { user_id: 'u-1', note: `from ${email}` },
      container: 'c-1',
    });

  it('are the strings of every nested member the schema does not name, in body order, ids and other tokens left out', () => {
    // Anthropic: an earlier answer's citation, and a metadata member beside `user_id`. The
    // top-level `container` is `extra`, and what the schema reads (the thinking signature) is not here.
    expect(anthropic().unreadTexts).toEqual([`write to ${email}`, 'Contract of Jane', `from ${email}`]);
    // Responses: a reasoning item's summary, an earlier output message's status and annotation;
    // the item ids and the encrypted reasoning are tokens.
    const responses = decodeOpenAIResponsesRequest({
      model: 'gpt-4o',
      input: [
        { role: 'user', content: 'plan it' },
        { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: `The user ${email} wants a plan.` }], encrypted_content: 'gAAAA-opaque' },
        { type: 'message', id: 'msg_1', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'Done.', annotations: [{ type: 'url_citation', url: 'https://example.com/a', title: 'Plans' }] }] },
        { role: 'user', content: 'again' },
      ],
    });
    expect(responses.unreadTexts).toEqual([`The user ${email} wants a plan.`, 'completed', 'https://example.com/a', 'Plans']);
    // OpenAI chat: an assistant's audio id is a token; an unread member of a tool definition is text.
    const chatReq = decodeOpenAIChatRequest({
      model: 'gpt-4o',
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: null, audio: { id: 'audio_abc' } },
      ],
      tools: [{ type: 'function', function: { name: 'f', parameters: {} }, x_note: `owner ${email}` }],
    });
    expect(chatReq.unreadTexts).toEqual([`owner ${email}`]);
  });

  it('are none when the body holds only what the schema reads, or members kept whole (documents, files, tool inputs)', () => {
    expect(chat({}).unreadTexts).toBeUndefined();
    const req = decodeAnthropicRequest({
      model: 'claude',
      max_tokens: 10,
      messages: [
        { role: 'user', content: [{ type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' }, title: `of ${email}` }, { type: 'text', text: 'read it' }] },
        { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'f', input: { to: email } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'ok' }] },
      ],
    });
    expect(req.unreadTexts).toBeUndefined();
  });

  it('are visited last, as `field`, and rewritten in place; a no-op pass keeps the request', () => {
    const req = anthropic();
    const seen: [string, string][] = [];
    forEachRequestText(req, (text, where) => seen.push([text, where]));
    expect(seen.slice(-3)).toEqual([
      [`write to ${email}`, 'field'],
      ['Contract of Jane', 'field'],
      [`from ${email}`, 'field'],
    ]);
    const out = mapRequestText(req, (t) => t.replaceAll(email, '<EMAIL_1>'));
    expect(out.unreadTexts).toEqual(['write to <EMAIL_1>', 'Contract of Jane', 'from <EMAIL_1>']);
    expect(out.messages).toBe(req.messages);
    expect(mapRequestText(req, (t) => t)).toBe(req);
  });
});
