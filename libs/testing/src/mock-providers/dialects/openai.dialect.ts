import { LOCAL_TOOL_ITEMS } from '@totra/providers';
import { embeddingSize, mockEmbedding, mockTokenCount, numberedReplies, splitText, type MockReply, type ResolvedUsage } from '../behaviour.js';
import {
  bearerToken,
  checkKey,
  header,
  joinTexts,
  sse,
  SSE_TYPE,
  type ChatView,
  type Dialect,
  type ErrorReply,
  type Frame,
  type RequestContext,
  type RouteMatch,
} from '../dialect.js';
import { WireRequestError } from '../errors.js';
import { arr, contentText, messageTexts, num, rec, str, type JsonRecord } from '../json-access.js';

type OpenAIFamily = 'openai' | 'openai-compatible' | 'azure-openai' | 'mistral';

const J = JSON.stringify;

/** Float32 little-endian bytes in base64, as `encoding_format: "base64"` returns them. */
function base64Floats(vector: readonly number[]): string {
  const buf = Buffer.allocUnsafe(vector.length * 4);
  vector.forEach((v, i) => buf.writeFloatLE(v, i * 4));
  return buf.toString('base64');
}

function usageJson(u: ResolvedUsage, details: boolean): JsonRecord {
  const out: JsonRecord = { prompt_tokens: u.inputTokens, completion_tokens: u.outputTokens, total_tokens: u.totalTokens };
  if (details) {
    out['prompt_tokens_details'] = { cached_tokens: u.cachedInputTokens, audio_tokens: 0 };
    out['completion_tokens_details'] = {
      reasoning_tokens: u.reasoningTokens,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    };
  }
  return out;
}

const SAFE_FILTER = {
  hate: { filtered: false, severity: 'safe' },
  self_harm: { filtered: false, severity: 'safe' },
  sexual: { filtered: false, severity: 'safe' },
  violence: { filtered: false, severity: 'safe' },
};

function openaiErrorKind(status: number): [type: string, code: string | null] {
  switch (status) {
    case 401:
      return ['invalid_request_error', 'invalid_api_key'];
    case 403:
      return ['permission_error', null];
    case 404:
      return ['invalid_request_error', 'model_not_found'];
    case 429:
      return ['requests', 'rate_limit_exceeded'];
    default:
      return status >= 500 ? ['server_error', null] : ['invalid_request_error', null];
  }
}

function defaultToolId(family: OpenAIFamily, index: number): string {
  // Mistral only accepts 9 alphanumerics.
  return family === 'mistral' ? `mock${String(index).padStart(5, '0')}` : `call_mock_${index}`;
}

// ---------------------------------------------------------------------------------------------
// Responses API

function responsesUsage(u: ResolvedUsage): JsonRecord {
  return {
    input_tokens: u.inputTokens,
    input_tokens_details: { cached_tokens: u.cachedInputTokens },
    output_tokens: u.outputTokens,
    output_tokens_details: { reasoning_tokens: u.reasoningTokens },
    total_tokens: u.totalTokens,
  };
}

/** The tool each local tool's call and output items belong to. */
const LOCAL_ITEM_TOOLS: Readonly<Record<string, string>> = LOCAL_TOOL_ITEMS;
const LOCAL_ITEM_PREFIX: Readonly<Record<string, string>> = { shell_call: 'sh', local_shell_call: 'lsh', apply_patch_call: 'apc', computer_call: 'cu' };

/** The strings of a local tool's item but its type, ids and status (its commands, patch, output). */
function localItemTexts(value: unknown, into: string[], key = ''): void {
  if (typeof value === 'string') {
    if (key !== 'type' && key !== 'id' && key !== 'call_id' && key !== 'status') into.push(value);
  } else if (Array.isArray(value)) for (const v of value) localItemTexts(v, into);
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) localItemTexts(v, into, k);
}

/** The local tools a Responses request declares (`{ type: 'shell' }`, ...). */
function declaredLocalTools(body: JsonRecord): Set<string> {
  const declared = new Set<string>();
  for (const t of arr(body['tools']) ?? []) {
    const type = str(rec(t)?.['type']);
    if (type === 'shell' || type === 'local_shell' || type === 'apply_patch') declared.add(type);
    // Computer use, under its preview name or its own.
    if (type === 'computer' || type === 'computer_use_preview') declared.add('computer');
  }
  return declared;
}

function responsesItems(reply: MockReply, family: OpenAIFamily, body: JsonRecord): { message?: JsonRecord; calls: JsonRecord[] } {
  const declared = declaredLocalTools(body);
  const calls: JsonRecord[] = reply.toolCalls.map((c, i) => {
    if (!c.local) return plainCall(reply, c, i, family);
    const tool = LOCAL_ITEM_TOOLS[c.local] ?? c.local;
    if (!declared.has(tool)) throw new WireRequestError(400, `mock behaviour: a ${c.local} answers a request that declares the tool '${tool}', and this one does not`);
    return { type: c.local, id: `${LOCAL_ITEM_PREFIX[c.local] ?? 'x'}_mock${reply.seq}_${i}`, call_id: c.id ?? defaultToolId(family, i), ...(JSON.parse(c.arguments) as JsonRecord), status: 'completed' };
  });
  if (reply.text.length === 0 && calls.length > 0) return { calls };
  const message = {
    id: `msg_mock${reply.seq}`,
    type: 'message',
    status: 'completed',
    role: 'assistant',
    content: [{ type: 'output_text', text: reply.text, annotations: [], logprobs: [] }],
  };
  return { message, calls };
}

function plainCall(reply: MockReply, c: MockReply['toolCalls'][number], i: number, family: OpenAIFamily): JsonRecord {
  return c.custom
    ? { id: `ctc_mock${reply.seq}_${i}`, type: 'custom_tool_call', status: 'completed', call_id: c.id ?? defaultToolId(family, i), name: c.name, input: c.arguments }
    : { id: `fc_mock${reply.seq}_${i}`, type: 'function_call', status: 'completed', call_id: c.id ?? defaultToolId(family, i), name: c.name, arguments: c.arguments };
}

function responseObject(reply: MockReply, request: ChatView, status: string, output: JsonRecord[], final: boolean): JsonRecord {
  const incomplete = final && reply.finishReason === 'length';
  const body = request.body;
  return {
    id: `resp_mock${reply.seq}`,
    object: 'response',
    created_at: reply.created,
    status: incomplete ? 'incomplete' : status,
    background: false,
    error: null,
    incomplete_details: incomplete ? { reason: 'max_output_tokens' } : null,
    instructions: str(body['instructions']) ?? null,
    max_output_tokens: num(body['max_output_tokens']) ?? null,
    model: reply.model,
    output,
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    service_tier: servedTier(body),
    store: false,
    temperature: num(body['temperature']) ?? 1,
    text: { format: { type: 'text' } },
    tool_choice: body['tool_choice'] ?? 'auto',
    tools: arr(body['tools']) ?? [],
    top_p: num(body['top_p']) ?? 1,
    truncation: 'disabled',
    usage: final ? responsesUsage(reply.usage) : null,
    user: null,
    metadata: {},
  };
}

function responsesJson(reply: MockReply, request: ChatView, family: OpenAIFamily): string {
  const { message, calls } = responsesItems(reply, family, request.body);
  return J(responseObject(reply, request, 'completed', message ? [message, ...calls] : calls, true));
}

function responsesStream(reply: MockReply, request: ChatView, family: OpenAIFamily): Frame[] {
  const frames: Frame[] = [];
  let sequence = 0;
  const emit = (type: string, fields: JsonRecord, text?: string) => {
    const frame: Frame = { data: sse(J({ type, sequence_number: sequence++, ...fields }), type) };
    if (text !== undefined) frame.text = text;
    frames.push(frame);
  };
  const { message, calls } = responsesItems(reply, family, request.body);
  emit('response.created', { response: responseObject(reply, request, 'in_progress', [], false) });
  emit('response.in_progress', { response: responseObject(reply, request, 'in_progress', [], false) });
  let outputIndex = 0;
  if (message) {
    const item_id = message['id'];
    const output_index = outputIndex++;
    emit('response.output_item.added', { output_index, item: { ...message, status: 'in_progress', content: [] } });
    emit('response.content_part.added', {
      item_id,
      output_index,
      content_index: 0,
      part: { type: 'output_text', text: '', annotations: [], logprobs: [] },
    });
    for (const delta of reply.textChunks) {
      emit('response.output_text.delta', { item_id, output_index, content_index: 0, delta, logprobs: [] }, delta);
    }
    emit('response.output_text.done', { item_id, output_index, content_index: 0, text: reply.text, logprobs: [] });
    emit('response.content_part.done', {
      item_id,
      output_index,
      content_index: 0,
      part: { type: 'output_text', text: reply.text, annotations: [], logprobs: [] },
    });
    emit('response.output_item.done', { output_index, item: message });
  }
  calls.forEach((call, i) => {
    const item_id = call['id'];
    const output_index = outputIndex++;
    const custom = call['type'] === 'custom_tool_call';
    if (call['type'] === 'shell_call') {
      // Its commands stream one by one, as OpenAI streams them.
      const action = rec(call['action']) ?? {};
      const commands = (arr(action['commands']) ?? []).map((c) => str(c) ?? '');
      emit('response.output_item.added', { output_index, item: { ...call, action: { ...action, commands: [] }, status: 'in_progress' } });
      commands.forEach((command, command_index) => {
        emit('response.shell_call_command.added', { output_index, command_index, command: '' });
        emit('response.shell_call_command.delta', { output_index, command_index, delta: command });
        emit('response.shell_call_command.done', { output_index, command_index, command });
      });
      emit('response.output_item.done', { output_index, item: call });
      return;
    }
    if (LOCAL_ITEM_TOOLS[str(call['type']) ?? '']) {
      emit('response.output_item.added', { output_index, item: { ...call, status: 'in_progress' } });
      emit('response.output_item.done', { output_index, item: call });
      return;
    }
    emit('response.output_item.added', { output_index, item: { ...call, status: 'in_progress', ...(custom ? { input: '' } : { arguments: '' }) } });
    for (const delta of reply.toolCalls[i]?.argumentChunks ?? []) {
      emit(custom ? 'response.custom_tool_call_input.delta' : 'response.function_call_arguments.delta', { item_id, output_index, delta });
    }
    if (custom) emit('response.custom_tool_call_input.done', { item_id, output_index, input: call['input'] });
    else emit('response.function_call_arguments.done', { item_id, output_index, name: call['name'], arguments: call['arguments'] });
    emit('response.output_item.done', { output_index, item: call });
  });
  const final = responseObject(reply, request, 'completed', message ? [message, ...calls] : calls, true);
  emit(final['status'] === 'incomplete' ? 'response.incomplete' : 'response.completed', { response: final });
  return frames;
}

function responsesView(body: JsonRecord, family: OpenAIFamily): ChatView {
  const model = str(body['model']);
  if (!model) throw new WireRequestError(400, "Missing required parameter: 'model'.");
  const input = body['input'];
  const texts: string[] = [];
  const instructions = str(body['instructions']);
  if (instructions) texts.push(instructions);
  let lastUserText = '';
  if (typeof input === 'string') {
    texts.push(input);
    lastUserText = input;
  } else if (Array.isArray(input)) {
    const declared = declaredLocalTools(body);
    for (const raw of input) {
      const item = rec(raw);
      if (!item) continue;
      const local = LOCAL_ITEM_TOOLS[str(item['type']) ?? ''];
      if (local) {
        // As OpenAI: a local tool's call or output goes with the tool declared.
        if (!declared.has(local)) throw new WireRequestError(400, `Invalid input: an item of type '${str(item['type'])}' requires the '${local}' tool in 'tools'.`);
        const found: string[] = [];
        localItemTexts(item, found);
        texts.push(found.join('\n'));
        continue;
      }
      const output = str(item['output']);
      const text = output ?? contentText(item['content']);
      texts.push(text);
      if (str(item['role']) === 'user') lastUserText = text;
    }
  } else {
    throw new WireRequestError(400, "Missing required parameter: 'input'.");
  }
  const stream = body['stream'] === true;
  return {
    provider: family,
    operation: 'responses',
    model,
    stream,
    lastUserText,
    promptText: joinTexts(texts),
    hasTools: (arr(body['tools'])?.length ?? 0) > 0,
    body,
    includeUsage: stream,
  };
}

// ---------------------------------------------------------------------------------------------
// Chat Completions

function chatView(body: JsonRecord, ctx: RequestContext, family: OpenAIFamily): ChatView {
  const model = ctx.match.pathModel ?? str(body['model']);
  if (!model) throw new WireRequestError(400, 'you must provide a model parameter');
  const messages = arr(body['messages']);
  if (!messages || messages.length === 0) throw new WireRequestError(400, "Invalid 'messages': expected a non-empty array.");
  if (family === 'mistral' && body['stream_options'] !== undefined) {
    throw new WireRequestError(422, 'Extra inputs are not permitted: body.stream_options');
  }
  const n = body['n'];
  if (n !== undefined && n !== null && !(Number.isInteger(n) && (n as number) >= 1 && (n as number) <= 128)) {
    throw new WireRequestError(400, `Invalid 'n': integer below minimum value or above maximum value. Expected a value between 1 and 128, but got ${J(n)} instead.`);
  }
  const { texts, lastUserText } = messageTexts(messages);
  const stream = body['stream'] === true;
  return {
    provider: family,
    operation: 'chat',
    model,
    stream,
    lastUserText,
    promptText: joinTexts(texts),
    hasTools: (arr(body['tools'])?.length ?? 0) > 0 || legacyFunctions(body, family),
    body,
    includeUsage: stream && rec(body['stream_options'])?.['include_usage'] === true,
  };
}

/**
 * The request declares OpenAI's deprecated `functions` (OpenAI, Azure OpenAI and compatible
 * servers; Mistral never took them): the answer's call is the message's `function_call`, one
 * call without an id, and its finish reason `function_call`.
 */
function legacyFunctions(body: JsonRecord, family: OpenAIFamily): boolean {
  return family !== 'mistral' && (arr(body['functions'])?.length ?? 0) > 0;
}

/** The finish reason of a reply, as OpenAI writes it for a request with `functions`. */
const finishOf = (r: MockReply, legacy: boolean): string => (legacy && r.finishReason === 'tool_calls' ? 'function_call' : r.finishReason);

/** The answers to a request for `n` choices (1 to 128, checked by `chatView`). */
function choicesOf(reply: MockReply, request: ChatView): { replies: MockReply[]; usage: ResolvedUsage } {
  return numberedReplies(reply, num(request.body['n']) ?? 1);
}

function chatJson(reply: MockReply, request: ChatView, family: OpenAIFamily): string {
  const mistral = family === 'mistral';
  const azure = family === 'azure-openai';
  const { replies, usage } = choicesOf(reply, request);
  const legacy = legacyFunctions(request.body, family);
  const choices = replies.map((r, index) => {
    const message: JsonRecord = {
      role: 'assistant',
      content: r.text.length > 0 || r.toolCalls.length === 0 || mistral ? r.text : null,
    };
    if (!mistral) message['refusal'] = null;
    const [first] = r.toolCalls;
    if (legacy && first) {
      message['function_call'] = { name: first.name, arguments: first.arguments };
    } else if (r.toolCalls.length > 0) {
      message['tool_calls'] = r.toolCalls.map((c, i) =>
        c.custom
          ? { id: c.id ?? defaultToolId(family, i), type: 'custom', custom: { name: c.name, input: c.arguments } }
          : {
              id: c.id ?? defaultToolId(family, i),
              type: 'function',
              function: { name: c.name, arguments: c.arguments },
              ...(mistral ? { index: i } : {}),
            },
      );
    }
    if (!mistral) message['annotations'] = [];
    const choice: JsonRecord = { index, message, finish_reason: finishOf(r, legacy) };
    if (!mistral) choice['logprobs'] = null;
    if (azure) choice['content_filter_results'] = SAFE_FILTER;
    return choice;
  });
  const body: JsonRecord = {
    id: `chatcmpl-mock${reply.seq}`,
    object: 'chat.completion',
    created: reply.created,
    model: reply.model,
    choices,
    usage: usageJson(usage, !mistral),
  };
  if (!mistral) body['system_fingerprint'] = 'fp_mock';
  if (family === 'openai') body['service_tier'] = servedTier(request.body);
  if (azure) body['prompt_filter_results'] = [{ prompt_index: 0, content_filter_results: SAFE_FILTER }];
  return J(body);
}

/** The processing tier OpenAI answers it served a request at: the one asked for where it is priority or flex. */
function servedTier(body: JsonRecord): string {
  const asked = body['service_tier'];
  return asked === 'priority' || asked === 'flex' ? asked : 'default';
}

/**
 * A chat stream. With `n` choices, each chunk carries one choice, and the choices' chunks are
 * interleaved (the first chunk of each, then the second of each, ...), as OpenAI sends them.
 */
function chatStream(reply: MockReply, request: ChatView, family: OpenAIFamily): Frame[] {
  const mistral = family === 'mistral';
  const azure = family === 'azure-openai';
  const { replies, usage: total } = choicesOf(reply, request);
  const legacy = legacyFunctions(request.body, family);
  const chunk = (index: number, delta: JsonRecord, finish: string | null, text?: string, usage?: JsonRecord): Frame => {
    const choice: JsonRecord = { index, delta };
    if (!mistral) choice['logprobs'] = null;
    choice['finish_reason'] = finish;
    if (azure) choice['content_filter_results'] = {};
    const body: JsonRecord = {
      id: `chatcmpl-mock${reply.seq}`,
      object: 'chat.completion.chunk',
      created: reply.created,
      model: reply.model,
    };
    if (!mistral) body['system_fingerprint'] = 'fp_mock';
    if (family === 'openai') body['service_tier'] = servedTier(request.body);
    body['choices'] = [choice];
    if (usage) body['usage'] = usage;
    else if (request.includeUsage) body['usage'] = null;
    const frame: Frame = { data: sse(J(body)) };
    if (text !== undefined) frame.text = text;
    return frame;
  };
  const last = replies.length - 1;
  const perChoice = replies.map((r, index) => {
    const out: Frame[] = [chunk(index, mistral ? { role: 'assistant', content: '' } : { role: 'assistant', content: '', refusal: null }, null)];
    for (const piece of r.textChunks) out.push(chunk(index, { content: piece }, null, piece));
    r.toolCalls.forEach((call, i) => {
      const id = call.id ?? defaultToolId(family, i);
      if (legacy) {
        // One call, its name first, then its arguments.
        if (i > 0) return;
        out.push(chunk(index, { function_call: { name: call.name, arguments: '' } }, null));
        for (const piece of call.argumentChunks) out.push(chunk(index, { function_call: { arguments: piece } }, null));
        return;
      }
      if (mistral) {
        // Mistral sends each tool call whole.
        out.push(chunk(index, { tool_calls: [{ id, type: 'function', function: { name: call.name, arguments: call.arguments }, index: i }] }, null));
        return;
      }
      if (call.custom) {
        out.push(chunk(index, { tool_calls: [{ index: i, id, type: 'custom', custom: { name: call.name, input: '' } }] }, null));
        for (const piece of call.argumentChunks) out.push(chunk(index, { tool_calls: [{ index: i, custom: { input: piece } }] }, null));
        return;
      }
      out.push(chunk(index, { tool_calls: [{ index: i, id, type: 'function', function: { name: call.name, arguments: '' } }] }, null));
      for (const piece of call.argumentChunks) out.push(chunk(index, { tool_calls: [{ index: i, function: { arguments: piece } }] }, null));
    });
    // Mistral's usage comes with the last finish.
    out.push(mistral ? chunk(index, { content: '' }, r.finishReason, undefined, index === last ? usageJson(total, false) : undefined) : chunk(index, {}, finishOf(r, legacy)));
    return out;
  });
  const frames: Frame[] = [];
  if (azure) {
    frames.push({
      data: sse(J({ choices: [], created: 0, id: '', model: '', object: '', prompt_filter_results: [{ prompt_index: 0, content_filter_results: SAFE_FILTER }] })),
    });
  }
  const longest = Math.max(...perChoice.map((c) => c.length));
  for (let step = 0; step < longest; step++) for (const c of perChoice) if (step < c.length) frames.push(c[step] as Frame);
  if (!mistral && request.includeUsage) {
    const body: JsonRecord = {
      id: `chatcmpl-mock${reply.seq}`,
      object: 'chat.completion.chunk',
      created: reply.created,
      model: reply.model,
      system_fingerprint: 'fp_mock',
      ...(family === 'openai' ? { service_tier: servedTier(request.body) } : {}),
      choices: [],
      usage: usageJson(total, true),
    };
    frames.push({ data: sse(J(body)) });
  }
  frames.push({ data: 'data: [DONE]\n\n' });
  return frames;
}

// ---------------------------------------------------------------------------------------------
// Completions (the legacy API: OpenAI, Azure OpenAI, OpenAI-compatible servers)

function completionsView(body: JsonRecord, ctx: RequestContext, family: OpenAIFamily): ChatView {
  const model = ctx.match.pathModel ?? str(body['model']);
  if (!model) throw new WireRequestError(400, 'you must provide a model parameter');
  const prompts = promptsOf(body);
  if (prompts.length === 0) throw new WireRequestError(400, "Missing required parameter: 'prompt'.");
  const suffix = str(body['suffix']);
  if (suffix !== undefined && family === 'openai' && !/instruct/.test(model)) {
    throw new WireRequestError(400, `The model '${model}' does not support 'suffix'.`);
  }
  const stream = body['stream'] === true;
  const text = joinTexts([...prompts, ...(suffix ? [suffix] : [])]);
  return { provider: family, operation: 'completions', model, stream, lastUserText: text, promptText: text, hasTools: false, body, includeUsage: stream && rec(body['stream_options'])?.['include_usage'] === true };
}

/** The prompts of a Completions request, as texts (token ids by their JSON). */
function promptsOf(body: JsonRecord): string[] {
  const prompt = body['prompt'];
  return typeof prompt === 'string' ? [prompt] : (arr(prompt) ?? []).map((p) => (typeof p === 'string' ? p : J(p)));
}

/**
 * The answers of a Completions request, `n` per prompt, numbered prompt by prompt as OpenAI
 * numbers them, each with its prompt first when the request asks for an `echo`. With several
 * prompts, each is answered on its own: with the reply set, or else with its own text.
 */
function completionsOf(reply: MockReply, request: ChatView): { replies: MockReply[]; usage: ResolvedUsage } {
  const prompts = promptsOf(request.body);
  const n = num(request.body['n']) ?? 1;
  const echo = request.body['echo'] === true;
  const own = prompts.length > 1 && reply.text === request.lastUserText;
  const replies: MockReply[] = [];
  let outputTokens = 0;
  for (const prompt of prompts) {
    const text = own ? prompt : reply.text;
    const one = own ? { ...reply, text, textChunks: splitText(text, Math.max(1, reply.textChunks.length)) } : reply;
    for (const r of numberedReplies(one, n).replies) {
      outputTokens += mockTokenCount(r.text);
      replies.push(echo ? { ...r, text: prompt + r.text, textChunks: [prompt, ...r.textChunks] } : r);
    }
  }
  if (prompts.length === 1) return { replies, usage: numberedReplies(reply, n).usage };
  return { replies, usage: { ...reply.usage, outputTokens, totalTokens: reply.usage.inputTokens + outputTokens } };
}

function completionsJson(reply: MockReply, request: ChatView): string {
  const { replies, usage } = completionsOf(reply, request);
  const choices = replies.map((r, index) => ({ text: r.text, index, logprobs: null, finish_reason: r.finishReason === 'tool_calls' ? 'stop' : r.finishReason }));
  return J({ id: `cmpl-mock${reply.seq}`, object: 'text_completion', created: reply.created, model: reply.model, choices, usage: usageJson(usage, false) });
}

function completionsStream(reply: MockReply, request: ChatView): Frame[] {
  const { replies, usage } = completionsOf(reply, request);
  const chunk = (index: number, text: string, finish: string | null, piece?: string): Frame => {
    const body: JsonRecord = {
      id: `cmpl-mock${reply.seq}`,
      object: 'text_completion',
      created: reply.created,
      choices: [{ text, index, logprobs: null, finish_reason: finish }],
      model: reply.model,
    };
    if (request.includeUsage) body['usage'] = null;
    const frame: Frame = { data: sse(J(body)) };
    if (piece !== undefined) frame.text = piece;
    return frame;
  };
  const frames: Frame[] = [];
  replies.forEach((r, index) => {
    for (const piece of r.textChunks) frames.push(chunk(index, piece, null, piece));
    frames.push(chunk(index, '', r.finishReason === 'tool_calls' ? 'stop' : r.finishReason));
  });
  if (request.includeUsage) {
    frames.push({ data: sse(J({ id: `cmpl-mock${reply.seq}`, object: 'text_completion', created: reply.created, choices: [], model: reply.model, usage: usageJson(usage, false) })) });
  }
  frames.push({ data: 'data: [DONE]\n\n' });
  return frames;
}

// ---------------------------------------------------------------------------------------------
// Embeddings and models

function embeddingsJson(body: JsonRecord, ctx: RequestContext, dims: (requested: number | undefined) => number, family: OpenAIFamily): string {
  const model = ctx.match.pathModel ?? str(body['model']);
  if (!model) throw new WireRequestError(400, 'you must provide a model parameter');
  const input = body['input'];
  let texts: string[];
  if (typeof input === 'string') texts = [input];
  else if (Array.isArray(input) && input.length > 0) {
    // Token arrays are embedded by their JSON text: deterministic, and distinct per input.
    texts = typeof input[0] === 'number' ? [J(input)] : input.map((x) => (typeof x === 'string' ? x : J(x)));
  } else throw new WireRequestError(400, "'input' must be a non-empty string or array");
  const size = dims(num(body[family === 'mistral' ? 'output_dimension' : 'dimensions']));
  const base64 = body['encoding_format'] === 'base64';
  let tokens = 0;
  const data = texts.map((text, index) => {
    tokens += mockTokenCount(text);
    const vector = mockEmbedding(text, size);
    return { object: 'embedding', index, embedding: base64 ? base64Floats(vector) : vector };
  });
  return J({ object: 'list', data, model, usage: { prompt_tokens: tokens, total_tokens: tokens } });
}

function modelEntry(id: string, family: OpenAIFamily): JsonRecord {
  return { id, object: 'model', created: 1_700_000_000, owned_by: family === 'mistral' ? 'mistralai' : 'mock' };
}

// ---------------------------------------------------------------------------------------------

function routeOpenAI(method: string, path: string, responses: boolean, prefix: string): RouteMatch | undefined {
  if (!path.startsWith(prefix)) return undefined;
  const rest = path.slice(prefix.length);
  if (method === 'POST') {
    if (rest === '/chat/completions') return { operation: 'chat' };
    // Mistral has no Completions API (its fill-in-the-middle endpoint is another).
    if (responses && rest === '/completions') return { operation: 'completions' };
    if (rest === '/embeddings') return { operation: 'embeddings' };
    if (responses && rest === '/responses') return { operation: 'responses' };
    return undefined;
  }
  if (method === 'GET') {
    if (rest === '/models') return { operation: 'models' };
    if (rest.startsWith('/models/') && rest.length > 8) return { operation: 'models', pathModel: decodeURIComponent(rest.slice(8)) };
  }
  return undefined;
}

const AZURE_DEPLOYMENT = /^\/openai\/deployments\/([^/]+)\/(chat\/completions|completions|embeddings)$/;

/** OpenAI, OpenAI-compatible, Azure OpenAI and Mistral: one wire format with a few differences. */
export function openaiFamilyDialect(family: OpenAIFamily): Dialect {
  const azure = family === 'azure-openai';
  const mistral = family === 'mistral';
  return {
    provider: family,
    apiRoot: azure ? '' : '/v1',
    streamsByDefault: false,
    ...(family === 'openai' ? { requestIdHeader: 'x-request-id' } : azure ? { requestIdHeader: 'apim-request-id' } : {}),
    route(method, path) {
      if (!azure) return routeOpenAI(method, path, !mistral, '/v1');
      const m = AZURE_DEPLOYMENT.exec(path);
      if (m && method === 'POST') {
        const operation = m[2] === 'embeddings' ? 'embeddings' : m[2] === 'completions' ? 'completions' : 'chat';
        return { operation, pathModel: decodeURIComponent(m[1] as string) };
      }
      if (method === 'GET' && path === '/openai/models') return { operation: 'models' };
      // The newer Azure "v1" API: OpenAI paths under /openai/v1, model in the body.
      return routeOpenAI(method, path, true, '/openai/v1');
    },
    checkAuth(ctx, apiKey, requireAuth) {
      if (azure) {
        const key = header(ctx.headers, 'api-key') ?? bearerToken(ctx.headers);
        const denied =
          'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.';
        return checkKey(key, apiKey, requireAuth, denied, denied);
      }
      return checkKey(
        bearerToken(ctx.headers),
        apiKey,
        requireAuth && family !== 'openai-compatible',
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
        'Incorrect API key provided.',
      );
    },
    checkRequest(ctx) {
      if (azure && ctx.match.pathModel !== undefined && ctx.match.operation !== 'models' && !ctx.query.get('api-version')) {
        throw new WireRequestError(404, 'Resource not found');
      }
    },
    chatRequest(body, ctx) {
      if (ctx.match.operation === 'completions') return completionsView(body, ctx, family);
      return ctx.match.operation === 'responses' ? responsesView(body, family) : chatView(body, ctx, family);
    },
    chatJson(reply, request) {
      if (request.operation === 'completions') return completionsJson(reply, request);
      return request.operation === 'responses' ? responsesJson(reply, request, family) : chatJson(reply, request, family);
    },
    chatStream(reply, request) {
      if (request.operation === 'completions') return { contentType: SSE_TYPE, frames: completionsStream(reply, request) };
      const frames = request.operation === 'responses' ? responsesStream(reply, request, family) : chatStream(reply, request, family);
      return { contentType: SSE_TYPE, frames };
    },
    embeddings(body, ctx, behaviour) {
      return embeddingsJson(body, ctx, (requested) => embeddingSize(requested, behaviour), family);
    },
    models(ids, ctx) {
      const one = ctx.match.pathModel;
      if (one === undefined) return J({ object: 'list', data: ids.map((id) => modelEntry(id, family)) });
      if (!ids.includes(one)) throw new WireRequestError(404, `The model '${one}' does not exist`);
      return J(modelEntry(one, family));
    },
    error(status, message, retryAfter): ErrorReply {
      if (azure) {
        const text = status === 429 && retryAfter !== undefined && /^\d+$/.test(retryAfter) ? `${message} Please retry after ${retryAfter} second.` : message;
        return { body: J({ error: { code: String(status), message: text } }) };
      }
      const [type, code] = openaiErrorKind(status);
      if (mistral) return { body: J({ object: 'error', message, type, param: null, code }) };
      return { body: J({ error: { message, type, param: null, code } }) };
    },
  };
}

