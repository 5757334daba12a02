// Canonical model
export {
  AssistantMessage,
  CacheControl,
  ChatRequest,
  type RequestExtra,
  OpaquePart,
  ChatChoice,
  ChatResponse,
  FinishReason,
  ImagePart,
  ImageSource,
  LocalToolItem,
  LOCAL_TOOL_ITEMS,
  LOCAL_TOOL_OF_ITEM,
  Message,
  ReasoningConfig,
  ReasoningPart,
  ResponseFormat,
  SystemMessage,
  TextPart,
  ToolCall,
  ToolChoice,
  ToolDefinition,
  ToolMessage,
  Usage,
  UserContentPart,
  UserMessage,
} from './canonical/chat.js';
export {
  StreamEvent,
  UsageUpdate,
  createStreamAccumulator,
  isCountedUsage,
  mergeUsage,
  responseToStreamEvents,
  type StreamAccumulator,
} from './canonical/stream-event.js';
export { EmbeddingsRequest, EmbeddingsResponse, EmbeddingsTokens } from './canonical/embeddings.js';
export { forEachRequestText, jsonModeInstruction, mapRequestText, splitSystem, type TextLocation } from './canonical/helpers.js';
export { rewriteClientBody } from './canonical/client-body.js';
export { describeOpaque, opaqueParts, unportableMembers } from './canonical/extra.js';

// Errors
export {
  InboundRequestError,
  PROVIDER_ERROR_CODES,
  ProviderConfigError,
  ProviderError,
  ProvidersError,
  UnsupportedFeatureError,
  type ProviderErrorCode,
  type ProviderErrorInit,
} from './errors.js';

// Inbound codecs
export {
  createOpenAIChatStreamEncoder,
  decodeOpenAIChatRequest,
  encodeOpenAIChatResponse,
  type EncodeOpenAIResponseOptions,
  type OpenAIChatStreamEncoder,
  type OpenAIStreamEncoderOptions,
} from './openai/openai-chat.codec.js';
export {
  createOpenAIResponsesStreamEncoder,
  decodeOpenAIResponsesRequest,
  encodeOpenAIResponsesResponse,
  type OpenAIResponsesStreamEncoder,
} from './openai/openai-responses.codec.js';
export {
  COMPLETIONS_DEFAULT_MAX_TOKENS,
  createOpenAICompletionsStreamEncoder,
  decodeOpenAICompletionsRequest,
  encodeOpenAICompletionsResponse,
  isOpenAICompletionModel,
  type OpenAICompletionsStreamEncoder,
} from './openai/openai-completions.codec.js';
export {
  decodeOpenAIEmbeddingsRequest,
  embeddingsInputHasTokens,
  embeddingToBase64,
  encodeOpenAIEmbeddingsResponse,
  encodeOpenAIModel,
  encodeOpenAIModelList,
  type ModelListEntry,
  type TokenTextCodec,
} from './openai/openai-embeddings.codec.js';
export {
  ANTHROPIC_DEFAULT_MAX_TOKENS,
  createAnthropicStreamCutter,
  createAnthropicStreamEncoder,
  decodeAnthropicCountTokensRequest,
  decodeAnthropicRequest,
  encodeAnthropicCountTokensResponse,
  encodeAnthropicModel,
  encodeAnthropicModelPage,
  encodeAnthropicResponse,
  type AnthropicModelPageQuery,
  type AnthropicStreamEncoder,
} from './anthropic/anthropic.codec.js';
export { toAnthropicErrorResponse, toOpenAIErrorResponse, type InboundErrorResponse } from './inbound/error-bodies.js';

// Outbound adapters
export {
  AwsCredentials,
  Deployment,
  ProviderKind,
  extraMembersFor,
  prepareRequest,
  passthroughFor,
  upstreamRequestId,
  type EmbeddingsAdapter,
  type InboundFormat,
  type PassthroughInput,
  type PassthroughMessage,
  type PassthroughStreamParser,
  type PassthroughSupport,
  type ProviderAdapter,
  type ProviderHttpRequest,
  type StreamCutter,
  type StreamParser,
  type WireFormat,
} from './adapters/adapter.js';
export { getProviderAdapter, providerAdapters } from './adapters/registry.js';
export { AZURE_DEFAULT_API_VERSION, azureOpenAIAdapter, openaiAdapter, openaiCompatibleAdapter } from './openai/openai.adapter.js';
export { ANTHROPIC_DEFAULT_VERSION, anthropicAdapter } from './anthropic/anthropic.adapter.js';
export { claudeTraits, claudeVersion, type ClaudeTraits } from './anthropic/claude-models.js';
export { GEMINI_SKIP_SIGNATURE, geminiAdapter, geminiChecksSignatures } from './gemini/gemini.adapter.js';
export { GEMINI_EFFORT_BUDGETS, geminiThinkingConfig, geminiThinkingLevels, geminiVersion, type GeminiThinkingLevel } from './gemini/gemini-models.js';
export { mistralAdapter, mistralToolCallId } from './mistral/mistral.adapter.js';
export { cohereAdapter } from './cohere/cohere.adapter.js';
export { bedrockAdapter } from './bedrock/bedrock.adapter.js';
export { signAwsRequest, type AwsSigningParams } from './bedrock/aws-sigv4.js';
export { ollamaAdapter } from './ollama/ollama.adapter.js';

// Wire helpers the gateway needs at the edge
export { SseDecoder, formatSse, type SseMessage } from './wire/sse.js';
export { retryAfterMs, type HeadersLike } from './wire/headers.js';
