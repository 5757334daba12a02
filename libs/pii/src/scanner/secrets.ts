import { type PiiType } from '../types.js';

/** Result of a secret probe at an atom start: a match, or how far the probe looked (to skip re-probing). */
export interface SecretProbe {
  type: PiiType | null;
  start: number;
  end: number;
  /** On failure: no later probe inside [start, scannedTo) can succeed, see {@link probeSecret}. */
  scannedTo: number;
}

const isAlnum = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const isUpperOrDigit = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 65 && c <= 90);

/** End of the run of token characters from `from`: alphanumerics plus `extra` (e.g. "_-"). */
function runEnd(text: string, from: number, extra: string): number {
  let i = from;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (isAlnum(c) || (extra.length > 0 && extra.includes(text.charAt(i)))) i++;
    else break;
  }
  return i;
}

/**
 * Second character expected after each first character that can open a secret ("sk", "rk", "AK",
 * "gh", "xo", "ey", "BE" ...), so prose words almost never reach {@link probeSecret}.
 */
const SECRET_PAIRS: Readonly<Record<string, string>> = { s: 'k', r: 'k', A: 'KSBCI', g: 'hi', x: 'o', e: 'y', B: 'E' };
const PAIR_TABLE = new Uint8Array(128 * 128);
for (const [first, seconds] of Object.entries(SECRET_PAIRS)) {
  for (const second of seconds) PAIR_TABLE[first.charCodeAt(0) * 128 + second.charCodeAt(0)] = 1;
}

/** True when a word starting with the code units `a`, `b` can open a secret. */
export function mayOpenSecret(a: number, b: number): boolean {
  return a < 128 && b < 128 && PAIR_TABLE[a * 128 + b] === 1;
}

const PEM_HEADER = /BEGIN ([A-Z0-9]+ ){0,3}PRIVATE KEY( BLOCK)?-----/y;

function result(probe: SecretProbe, type: PiiType, start: number, end: number): SecretProbe {
  probe.type = type;
  probe.start = start;
  probe.end = end;
  return probe;
}

/** Has digits and letters: real keys do, words like "sk-learning-materials-for-beginners" rarely both. */
function mixed(text: string, from: number, to: number): boolean {
  let d = false;
  let l = false;
  for (let i = from; i < to && !(d && l); i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) d = true;
    else if (isAlnum(c)) l = true;
  }
  return d && l;
}

/**
 * Probes for a credential starting at `i` (an atom start). Shapes follow each vendor's published
 * key format: OpenAI `sk-` / `sk-proj-`, Anthropic `sk-ant-`, AWS access key ids (AKIA/ASIA + 16),
 * GitHub `ghp_`/`gho_`/`ghu_`/`ghs_`/`ghr_` + 36 and `github_pat_`, Slack `xox?-`, Google `AIza` + 35,
 * Stripe `sk_live_`/`rk_live_`, PEM private key blocks (RFC 7468) and JWTs (RFC 7519, JWS compact
 * serialisation). Every probe reads at most one token run, and a failed probe fails for every later
 * start inside that run as well, so the caller can skip to `scannedTo`: linear overall.
 */
export function probeSecret(text: string, i: number, enabled: ReadonlySet<PiiType>, probe: SecretProbe): SecretProbe {
  probe.type = null;
  probe.scannedTo = i + 1;
  const c = text.charCodeAt(i);
  switch (c) {
    case 115: // s
      if (text.startsWith('sk-', i)) {
        const end = runEnd(text, i + 3, '_-');
        probe.scannedTo = end;
        if (text.startsWith('sk-ant-', i)) {
          if (enabled.has('ANTHROPIC_API_KEY') && end - i >= 7 + 32 && mixed(text, i + 7, end)) {
            return result(probe, 'ANTHROPIC_API_KEY', i, end);
          }
        } else if (enabled.has('OPENAI_API_KEY') && end - i >= 3 + 20 && mixed(text, i + 3, end)) {
          return result(probe, 'OPENAI_API_KEY', i, end);
        }
        return probe;
      }
      return stripe(text, i, enabled, probe);
    case 114: // r
      return stripe(text, i, enabled, probe);
    case 65: // A
      if (isAwsPrefix(text, i) && enabled.has('AWS_ACCESS_KEY_ID')) {
        let j = i + 4;
        while (j < text.length && j < i + 21 && isUpperOrDigit(text.charCodeAt(j))) j++;
        if (j - i === 20 && (j === text.length || !isAlnum(text.charCodeAt(j)))) return result(probe, 'AWS_ACCESS_KEY_ID', i, j);
        return probe;
      }
      if (text.startsWith('AIza', i) && enabled.has('GOOGLE_API_KEY')) {
        const end = runEnd(text, i + 4, '_-');
        probe.scannedTo = end;
        if (end - i === 39) return result(probe, 'GOOGLE_API_KEY', i, end);
      }
      return probe;
    case 103: // g
      if (!enabled.has('GITHUB_TOKEN')) return probe;
      if (text.startsWith('github_pat_', i)) {
        const end = runEnd(text, i + 11, '_');
        probe.scannedTo = end;
        if (end - i >= 11 + 22) return result(probe, 'GITHUB_TOKEN', i, end);
        return probe;
      }
      if (text.charCodeAt(i + 1) === 104 && 'pousr'.includes(text.charAt(i + 2)) && text.charCodeAt(i + 3) === 95) {
        const end = runEnd(text, i + 4, '');
        probe.scannedTo = end;
        if (end - i >= 4 + 36) return result(probe, 'GITHUB_TOKEN', i, end);
      }
      return probe;
    case 120: // x
      if (enabled.has('SLACK_TOKEN') && text.startsWith('xox', i) && 'abprse'.includes(text.charAt(i + 3)) && text.charCodeAt(i + 4) === 45) {
        const end = runEnd(text, i + 5, '-');
        probe.scannedTo = end;
        if (end - i >= 5 + 10 && mixed(text, i + 5, end)) return result(probe, 'SLACK_TOKEN', i, end);
      }
      return probe;
    case 101: // e
      if (enabled.has('JWT') && text.startsWith('eyJ', i)) return jwt(text, i, probe);
      return probe;
    case 66: // B
      if (enabled.has('PRIVATE_KEY') && i >= 5 && text.startsWith('-----', i - 5)) {
        PEM_HEADER.lastIndex = i;
        if (!PEM_HEADER.test(text)) return probe;
        const endMark = text.indexOf('-----END', PEM_HEADER.lastIndex);
        if (endMark < 0) return result(probe, 'PRIVATE_KEY', i - 5, text.length); // truncated block: fail closed
        const close = text.indexOf('-----', endMark + 8);
        return result(probe, 'PRIVATE_KEY', i - 5, close < 0 ? text.length : close + 5);
      }
      return probe;
    default:
      return probe;
  }
}

/** AKIA (long-term), ASIA (temporary), ABIA, ACCA key id prefixes. */
function isAwsPrefix(text: string, i: number): boolean {
  const c1 = text.charCodeAt(i + 1);
  if (c1 === 75) return text.charCodeAt(i + 2) === 73 && text.charCodeAt(i + 3) === 65; // KIA
  if (c1 === 83) return text.charCodeAt(i + 2) === 73 && text.charCodeAt(i + 3) === 65; // SIA
  if (c1 === 66) return text.charCodeAt(i + 2) === 73 && text.charCodeAt(i + 3) === 65; // BIA
  return c1 === 67 && text.charCodeAt(i + 2) === 67 && text.charCodeAt(i + 3) === 65; // CCA
}

function stripe(text: string, i: number, enabled: ReadonlySet<PiiType>, probe: SecretProbe): SecretProbe {
  if (text.charCodeAt(i + 1) !== 107 || text.charCodeAt(i + 2) !== 95 || !enabled.has('STRIPE_SECRET_KEY')) return probe;
  if (!text.startsWith('live_', i + 3) && !text.startsWith('test_', i + 3)) return probe;
  const end = runEnd(text, i + 8, '');
  probe.scannedTo = end;
  return end - i >= 8 + 20 ? result(probe, 'STRIPE_SECRET_KEY', i, end) : probe;
}

/** header.payload.signature, base64url segments, the header a JSON object ("eyJ" = '{"'). */
function jwt(text: string, i: number, probe: SecretProbe): SecretProbe {
  const h = runEnd(text, i, '_-');
  probe.scannedTo = h;
  if (h - i < 10 || text.charCodeAt(h) !== 46) return probe;
  const p = runEnd(text, h + 1, '_-');
  if (p - h - 1 < 10 || text.charCodeAt(p) !== 46) return probe;
  const s = runEnd(text, p + 1, '_-');
  probe.scannedTo = s;
  return result(probe, 'JWT', i, s);
}
