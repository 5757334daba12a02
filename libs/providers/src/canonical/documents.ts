import { parseDataUrl } from '../wire/json.js';
import { CacheControl, type OpaquePart } from './chat.js';

/**
 * A PDF that several providers' APIs take in the same terms (ADR 0027): its bytes (base64), a
 * name, and the prompt-caching marker of an Anthropic block. An opaque part that carries nothing
 * else can go to a provider of another API; any other stays with its own (ADR 0026).
 */
export interface PortableDocument {
  mediaType: 'application/pdf';
  /** The file's bytes, base64. */
  data: string;
  /** The client's file name (OpenAI `filename`) or title (Anthropic `title`). */
  name?: string;
  cacheControl?: CacheControl;
}

const PDF = 'application/pdf';

function record(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** True when every member of `value` is one of `allowed`. */
function only(value: Record<string, unknown>, allowed: ReadonlySet<string>): boolean {
  for (const key in value) if (!allowed.has(key)) return false;
  return true;
}

const OPENAI_FILE_PART = new Set(['type', 'file', 'cache_control']);
const OPENAI_FILE = new Set(['file_data', 'filename']);
const RESPONSES_INPUT_FILE = new Set(['type', 'file_data', 'filename']);
const ANTHROPIC_DOCUMENT = new Set(['type', 'source', 'title', 'cache_control', 'citations']);
const ANTHROPIC_BASE64_SOURCE = new Set(['type', 'media_type', 'data']);
const CITATIONS_OFF = new Set(['enabled']);

/** A PDF given inline as a `data:` URL, with its optional file name. */
function inlinePdf(fileData: unknown, filename: unknown): PortableDocument | undefined {
  if (typeof fileData !== 'string') return undefined;
  const inline = parseDataUrl(fileData);
  if (inline?.mediaType.toLowerCase() !== PDF || inline.data.length === 0) return undefined;
  if (filename !== undefined && typeof filename !== 'string') return undefined;
  return filename ? { mediaType: PDF, data: inline.data, name: filename } : { mediaType: PDF, data: inline.data };
}

/**
 * The portable document an opaque part is, or undefined when it is anything else or carries what
 * another API cannot say: a file id (the provider's own storage), a URL, a text document, audio,
 * an Anthropic document with citations switched on or a `context`.
 */
export function portableDocument(part: OpaquePart): PortableDocument | undefined {
  const value = part.value;
  if (part.api === 'openai-chat' && part.kind === 'file') {
    const file = record(value['file']);
    if (!file || !only(value, OPENAI_FILE_PART) || !only(file, OPENAI_FILE)) return undefined;
    return withCacheControl(inlinePdf(file['file_data'], file['filename']), value['cache_control']);
  }
  if (part.api === 'openai-responses' && part.kind === 'input_file') {
    return only(value, RESPONSES_INPUT_FILE) ? inlinePdf(value['file_data'], value['filename']) : undefined;
  }
  if (part.api === 'anthropic-messages' && part.kind === 'document') {
    const source = record(value['source']);
    if (!source || !only(value, ANTHROPIC_DOCUMENT) || !only(source, ANTHROPIC_BASE64_SOURCE)) return undefined;
    if (source['type'] !== 'base64' || source['media_type'] !== PDF || typeof source['data'] !== 'string' || source['data'].length === 0) return undefined;
    // Citations switched on change the answer (cited blocks), which no other API gives back.
    const citations = record(value['citations']);
    if (value['citations'] != null && !(citations && citations['enabled'] === false && only(citations, CITATIONS_OFF))) return undefined;
    const title = value['title'];
    if (title !== undefined && title !== null && typeof title !== 'string') return undefined;
    const doc: PortableDocument = { mediaType: PDF, data: source['data'] };
    if (title) doc.name = title;
    return withCacheControl(doc, value['cache_control']);
  }
  return undefined;
}

/**
 * The document with the prompt-cache marker of its part (Anthropic's, or the same member on an
 * OpenAI-format part, as LiteLLM and OpenRouter clients send it); undefined when the marker is
 * not one Anthropic takes.
 */
function withCacheControl(doc: PortableDocument | undefined, marker: unknown): PortableDocument | undefined {
  if (!doc || marker === undefined || marker === null) return doc;
  const cache = CacheControl.safeParse(marker);
  if (!cache.success) return undefined;
  doc.cacheControl = cache.data;
  return doc;
}

/** A file name for a document that came without one (OpenAI's file part wants one). */
export function documentFileName(doc: PortableDocument): string {
  const name = doc.name?.trim();
  if (!name) return 'document.pdf';
  return name.toLowerCase().endsWith('.pdf') ? name : `${name}.pdf`;
}
