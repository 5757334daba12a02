import {
  createAnthropicStreamEncoder,
  createOpenAIChatStreamEncoder,
  createOpenAICompletionsStreamEncoder,
  createOpenAIResponsesStreamEncoder,
  encodeAnthropicResponse,
  encodeOpenAIChatResponse,
  encodeOpenAICompletionsResponse,
  encodeOpenAIResponsesResponse,
  type ChatRequest,
  type ChatResponse,
  type InboundFormat,
  type StreamEvent,
} from '@totra/providers';

/** Turns canonical stream events into the client's SSE text. */
export interface StreamEncoder {
  push(event: StreamEvent): string;
  end(): string;
}

/** What of the client's request decides how its answer is written: the deprecated function calling of OpenAI chat (ADR 0043). */
interface AnswerForm {
  legacyFunctions?: ChatRequest['legacyFunctions'] | undefined;
}

/** The client-facing JSON body of a canonical response, in the inbound API's format. */
export function encodeResponse(inbound: InboundFormat, res: ChatResponse, model: string, form: AnswerForm = {}): string {
  switch (inbound) {
    case 'openai-chat':
      return JSON.stringify(encodeOpenAIChatResponse(res, { model, legacyFunctions: form.legacyFunctions === true }));
    case 'openai-responses':
      return JSON.stringify(encodeOpenAIResponsesResponse(res, { model }));
    case 'anthropic-messages':
      return JSON.stringify(encodeAnthropicResponse(res, { model }));
    case 'openai-completions':
      return JSON.stringify(encodeOpenAICompletionsResponse(res, { model }));
  }
}

export function createStreamEncoder(inbound: InboundFormat, opts: { model: string; includeUsage: boolean } & AnswerForm): StreamEncoder {
  switch (inbound) {
    case 'openai-chat':
      return createOpenAIChatStreamEncoder({ model: opts.model, includeUsage: opts.includeUsage, legacyFunctions: opts.legacyFunctions === true });
    case 'openai-responses':
      return createOpenAIResponsesStreamEncoder({ model: opts.model });
    case 'anthropic-messages':
      return createAnthropicStreamEncoder({ model: opts.model });
    case 'openai-completions':
      return createOpenAICompletionsStreamEncoder({ model: opts.model, includeUsage: opts.includeUsage });
  }
}

/** The error body of a stream that broke after it started, in the client's SSE format. */
export function streamErrorFrame(inbound: InboundFormat, code: string, message: string): string {
  if (inbound === 'anthropic-messages') {
    return `event: error\ndata: ${JSON.stringify({ type: 'error', error: { type: 'api_error', message } })}\n\n`;
  }
  if (inbound === 'openai-responses') {
    return `event: error\ndata: ${JSON.stringify({ type: 'error', code, message, param: null })}\n\n`;
  }
  return `data: ${JSON.stringify({ error: { message, type: 'server_error', code, param: null } })}\n\ndata: [DONE]\n\n`;
}
