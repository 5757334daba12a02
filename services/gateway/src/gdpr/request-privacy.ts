import { type DataKey, periodOf } from '@totra/crypto';
import { type DecodedEvent, type EventInput, newEventId } from '@totra/events';
import { type KeyStore } from '@totra/keystore';
import { GatewayError } from '../errors.js';
import { type CallerIdentity } from '../identity.js';

/** Control events the gateway follows for its GDPR duties (with the catalog's). */
export const TEAM_SETTINGS_TYPES: ReadonlySet<string> = new Set(['TeamSettingsChanged']);

/** Teams' content-logging switches, folded from `TeamSettingsChanged` (absent field: unchanged). */
export class TeamSettingsView {
  readonly #logging = new Map<string, boolean>();

  apply(event: Pick<DecodedEvent, 'type' | 'data'>): void {
    if (event.type !== 'TeamSettingsChanged') return;
    const team = event.data['teamId'];
    const on = event.data['contentLogging'];
    if (typeof team === 'string' && typeof on === 'boolean') this.#logging.set(team, on);
  }

  contentLogging(teamId: string): boolean {
    return this.#logging.get(teamId) === true;
  }
}

/** Personal data of a request: only ever stored sealed. */
export interface PersonalData {
  clientIp?: string | undefined;
  userAgent?: string | undefined;
}

/** The content key of a request whose team logs content, resolved before any provider is called. */
export interface ContentKey {
  readonly key: DataKey;
  readonly period: string;
  readonly at: Date;
}

export interface RequestPrivacyOptions {
  /** The key store; without it nothing personal is recorded and content logging fails closed. */
  store?: Pick<KeyStore, 'dataKeyFor' | 'sealWith'> | undefined;
  teams: TeamSettingsView;
  /** Longest prompt or response logged, in characters; default {@link CONTENT_LOG_MAX_CHARS}. */
  maxContentChars?: number;
  onWarning?: (message: string) => void;
}

const USER_AGENT_MAX = 512;

/** Longest prompt or response logged, in characters: the rest is cut, and the text says so. */
export const CONTENT_LOG_MAX_CHARS = 256 * 1024;

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…[cut: ${text.length - max} more characters]`;
}

/**
 * The gateway's GDPR duties on the request path: seals the client's address and user agent into
 * the request's terminal event under the caller's identity key, and writes `RequestContentLogged`
 * (prompt and response sealed under the caller's content key of the month) when the caller's team
 * logs content. Keys come from the key store's in-process cache (a database read on a miss).
 *
 * Without a key store: no address or user agent is recorded at all (never in clear), and requests
 * of a team with content logging on are refused with 503 `TOTRA_CONTENT_LOGGING_UNAVAILABLE` (fail
 * closed) — as they are when the key store cannot be reached.
 */
export class RequestPrivacy {
  readonly #store: RequestPrivacyOptions['store'];
  readonly #teams: TeamSettingsView;
  readonly #max: number;
  readonly #warn: (message: string) => void;
  #warnedSeal = false;

  constructor(o: RequestPrivacyOptions) {
    this.#store = o.store;
    this.#teams = o.teams;
    this.#max = o.maxContentChars ?? CONTENT_LOG_MAX_CHARS;
    this.#warn = o.onWarning ?? (() => undefined);
  }

  /** Whether a key store is configured (personal data is sealed, content can be logged). */
  get sealing(): boolean {
    return this.#store !== undefined;
  }

  /** Whether the caller's team logs prompts and responses. */
  logsContent(who: CallerIdentity): boolean {
    return this.#teams.contentLogging(who.teamId);
  }

  /**
   * The caller's content key of the month, before the request goes out: fails closed (503) when
   * it cannot be had, so content of a logging team is never sent unlogged.
   */
  async contentKey(who: CallerIdentity, at: Date): Promise<ContentKey> {
    const store = this.#store;
    const refuse = (why: string, cause?: unknown) =>
      new GatewayError(
        {
          code: 'TOTRA_CONTENT_LOGGING_UNAVAILABLE',
          status: 503,
          reason: 'unavailable',
          message: `team ${who.teamId} logs request content, but ${why}; the request was not sent (retry later, or turn content logging off with \`totra teams set ${who.teamId} --content-logging off\`)`,
          retryAfterSeconds: 5,
        },
        cause === undefined ? undefined : { cause },
      );
    if (!store) throw refuse('this gateway has no key store (set TOTRA_PG_URL and TOTRA_KEYRING)');
    const period = periodOf(at);
    try {
      return { key: await store.dataKeyFor(who.userId, { category: 'content', period, teamId: who.teamId }), period, at };
    } catch (err) {
      throw refuse(`its content key cannot be had (${(err as { code?: string }).code ?? 'key store unreachable'})`, err);
    }
  }

  /**
   * The terminal event with the client's address and user agent sealed under the subject's
   * identity key. Without a key store, a subject, or a reachable key store, the event goes out
   * without them: personal data is dropped, never written in clear.
   */
  async seal(event: EventInput, personal: PersonalData): Promise<EventInput> {
    const store = this.#store;
    if (!store || !event.subject || event.id === undefined) return event;
    const fields: Record<string, string> = {};
    if (personal.clientIp) fields['clientIp'] = personal.clientIp;
    if (personal.userAgent) fields['userAgent'] = personal.userAgent.slice(0, USER_AGENT_MAX);
    if (!Object.keys(fields).length) return event;
    try {
      const key = await store.dataKeyFor(event.subject);
      return { ...event, sealed: store.sealWith(key, event.id, event.subject, fields) };
    } catch (err) {
      // An erased subject (or an unreachable key store): record the request without them.
      if (!this.#warnedSeal) {
        this.#warnedSeal = true;
        this.#warn(`request events are recorded without client address and user agent: ${(err as { code?: string }).code ?? (err as Error).message}`);
      }
      return event;
    }
  }

  /** `RequestContentLogged`: the prompt and the response, sealed under the content key. */
  contentLogged(k: ContentKey, requestId: string, who: CallerIdentity, prompt: string, response: string): EventInput {
    const store = this.#store as NonNullable<RequestPrivacyOptions['store']>;
    const id = newEventId();
    return {
      type: 'RequestContentLogged',
      id,
      tenant: who.tenant,
      subject: who.userId,
      data: { requestId, userId: who.userId, teamId: who.teamId, period: k.period },
      sealed: store.sealWith(k.key, id, who.userId, { prompt: cut(prompt, this.#max), response: cut(response, this.#max) }),
    };
  }
}
