import { describe, expect, it } from 'vitest';
import { InboundRequestError, ProviderConfigError, UnsupportedFeatureError } from '../errors.js';
import { anthropicAdapter } from '../anthropic/anthropic.adapter.js';
import { openaiAdapter } from '../openai/openai.adapter.js';
import { toAnthropicErrorResponse, toOpenAIErrorResponse } from './error-bodies.js';

describe('inbound error bodies', () => {
  it('answers invalid requests with 400 in each API shape', () => {
    const err = new InboundRequestError('messages.0.content: Invalid input', 'messages.0.content');
    expect(toOpenAIErrorResponse(err)).toEqual({
      status: 400,
      body: { error: { message: 'messages.0.content: Invalid input', type: 'invalid_request_error', code: null, param: 'messages.0.content' } },
    });
    expect(toAnthropicErrorResponse(err)).toEqual({
      status: 400,
      body: { type: 'error', error: { type: 'invalid_request_error', message: 'messages.0.content: Invalid input' } },
    });
  });

  it('relays provider rate limits with Retry-After and hides upstream auth failures behind 502', () => {
    const limited = anthropicAdapter.mapError(429, { type: 'error', error: { type: 'rate_limit_error', message: 'slow' } }, { 'retry-after': '2.5' });
    expect(toOpenAIErrorResponse(limited)).toMatchObject({ status: 429, retryAfterSeconds: 3, body: { error: { type: 'rate_limit_error', code: 'rate_limit_exceeded' } } });
    const auth = openaiAdapter.mapError(401, { error: { message: 'bad key', code: 'invalid_api_key' } });
    expect(toAnthropicErrorResponse(auth)).toMatchObject({ status: 502, body: { error: { type: 'api_error' } } });
    const ctx = openaiAdapter.mapError(400, { error: { message: 'too long', code: 'context_length_exceeded' } });
    expect(toOpenAIErrorResponse(ctx).body).toMatchObject({ error: { code: 'context_length_exceeded' } });
  });

  it('never leaks unknown errors', () => {
    const res = toOpenAIErrorResponse(new Error('secret stack detail'));
    expect(res).toEqual({ status: 500, body: { error: { message: 'internal error', type: 'server_error', code: null, param: null } } });
    expect(toOpenAIErrorResponse(new UnsupportedFeatureError('bedrock', 'image URLs')).status).toBe(400);
    expect(toAnthropicErrorResponse(new ProviderConfigError('gemini', 'no key')).status).toBe(503);
  });
});
