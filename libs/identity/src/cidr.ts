import { InvalidCidrError } from './errors.js';

/**
 * An IP address as bytes: 4 for IPv4, 16 for IPv6. IPv4-mapped IPv6 addresses
 * (`::ffff:a.b.c.d`) are always held as the IPv4 address they carry.
 */
export interface IpAddress {
  readonly family: 4 | 6;
  readonly bytes: Uint8Array;
}

/** A network: its address (host bits zero) and prefix length. */
export interface CidrBlock extends IpAddress {
  readonly bits: number;
}

const V4_OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
/** Strict dotted quad: no leading zeros, no octal or hex forms, no short forms like `10.1`. */
const V4_PATTERN = new RegExp(`^${V4_OCTET}(?:\\.${V4_OCTET}){3}$`);
const V6_GROUP = /^[0-9A-Fa-f]{1,4}$/;
const PREFIX_LENGTH = /^(?:0|[1-9]\d{0,2})$/;

function parseV4(text: string): Uint8Array | undefined {
  if (!V4_PATTERN.test(text)) return undefined;
  return Uint8Array.from(text.split('.').map(Number));
}

function parseV6(input: string): Uint8Array | undefined {
  let text = input;
  let v4: Uint8Array | undefined;
  if (text.includes('.')) {
    // An embedded IPv4 address takes the place of the last two groups.
    const lastColon = text.lastIndexOf(':');
    v4 = parseV4(text.slice(lastColon + 1));
    if (!v4) return undefined;
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (part: string): string[] => (part === '' ? [] : part.split(':'));
  const head = groupsOf(halves[0] as string);
  const tail = halves.length === 2 ? groupsOf(halves[1] as string) : [];
  if (![...head, ...tail].every((g) => V6_GROUP.test(g))) return undefined;
  if (halves.length === 1 ? head.length !== 8 : head.length + tail.length > 7) return undefined;
  const groups = [...head, ...new Array<string>(8 - head.length - tail.length).fill('0'), ...tail];
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    const n = parseInt(g, 16);
    bytes[2 * i] = n >> 8;
    bytes[2 * i + 1] = n & 0xff;
  });
  if (v4) bytes.set(v4, 12);
  return bytes;
}

function isV4Mapped(bytes: Uint8Array): boolean {
  return bytes.length === 16 && bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
}

/**
 * Parses an IPv4 or IPv6 address in strict notation. A zone id (`fe80::1%eth0`) is dropped;
 * an IPv4-mapped IPv6 address comes back as IPv4. Returns undefined for anything else.
 */
export function parseIp(text: string): IpAddress | undefined {
  if (!text.includes(':')) {
    const v4 = parseV4(text);
    return v4 && { family: 4, bytes: v4 };
  }
  const zone = text.indexOf('%');
  const bytes = parseV6(zone >= 0 ? text.slice(0, zone) : text);
  if (!bytes) return undefined;
  return isV4Mapped(bytes) ? { family: 4, bytes: bytes.slice(12) } : { family: 6, bytes };
}

/** Text of an address: dotted quad, or RFC 5952 IPv6 (lowercase, longest zero run as `::`). */
export function formatIp(ip: IpAddress): string {
  if (ip.family === 4) return [...ip.bytes].join('.');
  const groups = Array.from({ length: 8 }, (_, i) => ((ip.bytes[2 * i] as number) << 8) | (ip.bytes[2 * i + 1] as number));
  let best = { start: -1, len: 0 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.len) best = { start: i, len: j - i };
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.len < 2) return hex.join(':');
  return `${hex.slice(0, best.start).join(':')}::${hex.slice(best.start + best.len).join(':')}`;
}

/** Canonical text of an address, or undefined when it does not parse. */
export function normalizeIp(text: string): string | undefined {
  const ip = parseIp(text);
  return ip && formatIp(ip);
}

function hostBitsSet(bytes: Uint8Array, bits: number): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - 8 * i));
    const hostMask = 0xff >> keep;
    if (((bytes[i] as number) & hostMask) !== 0) return true;
  }
  return false;
}

function maskTo(bytes: Uint8Array, bits: number): Uint8Array {
  return bytes.map((b, i) => b & (0xff << (8 - Math.max(0, Math.min(8, bits - 8 * i)))) & 0xff);
}

/**
 * Parses a CIDR block (`10.0.0.0/8`, `2001:db8::/32`) or a single address (taken as /32 or
 * /128). Strict: host bits must be zero, no zone id, no legacy IPv4 forms. An IPv4-mapped
 * IPv6 block of /96 or longer (`::ffff:10.0.0.0/104`) becomes the IPv4 block it covers.
 * @throws InvalidCidrError (`TOTRA_CIDR_INVALID`)
 */
export function parseCidr(text: string): CidrBlock {
  const slash = text.indexOf('/');
  const addrText = slash >= 0 ? text.slice(0, slash) : text;
  if (addrText.includes('%')) throw new InvalidCidrError(text, 'a zone id is not allowed in a network');
  const isV6 = addrText.includes(':');
  const bytes = isV6 ? parseV6(addrText) : parseV4(addrText);
  if (!bytes) throw new InvalidCidrError(text, `"${addrText}" is not an IPv${isV6 ? 6 : 4} address in standard notation`);
  const max = bytes.length * 8;
  let bits = max;
  if (slash >= 0) {
    const lenText = text.slice(slash + 1);
    if (!PREFIX_LENGTH.test(lenText) || Number(lenText) > max) {
      throw new InvalidCidrError(text, `the prefix length must be a number from 0 to ${max}`);
    }
    bits = Number(lenText);
  }
  if (hostBitsSet(bytes, bits)) {
    const network = formatCidr(normalizeFamily(maskTo(bytes, bits), bits));
    throw new InvalidCidrError(text, `host bits are set (the network is ${network})`);
  }
  return normalizeFamily(bytes, bits);
}

function normalizeFamily(bytes: Uint8Array, bits: number): CidrBlock {
  if (bytes.length === 4) return { family: 4, bytes, bits };
  if (bits >= 96 && isV4Mapped(bytes)) return { family: 4, bytes: bytes.slice(12), bits: bits - 96 };
  return { family: 6, bytes, bits };
}

/** Canonical text of a block, e.g. `10.0.0.0/8`, `2001:db8::/32`. */
export function formatCidr(block: CidrBlock): string {
  return `${formatIp(block)}/${block.bits}`;
}

/** Canonical text of a CIDR block. @throws InvalidCidrError */
export function normalizeCidr(text: string): string {
  return formatCidr(parseCidr(text));
}

/** Whether the text is a valid CIDR block (or single address) in strict notation. */
export function isValidCidr(text: string): boolean {
  try {
    parseCidr(text);
    return true;
  } catch {
    return false;
  }
}

/** Parses a list of CIDR blocks once, for repeated matching. @throws InvalidCidrError */
export function compileCidrs(cidrs: readonly string[]): CidrBlock[] {
  return cidrs.map(parseCidr);
}

/** Whether the address is inside the block. IPv4 addresses only match IPv4 blocks, and IPv6 only IPv6. */
export function cidrContains(block: CidrBlock, ip: IpAddress): boolean {
  if (block.family !== ip.family) return false;
  const full = block.bits >> 3;
  for (let i = 0; i < full; i++) if (block.bytes[i] !== ip.bytes[i]) return false;
  const rest = block.bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((block.bytes[full] as number) & mask) === ((ip.bytes[full] as number) & mask);
}

/**
 * Whether the address is inside any of the blocks. An address that does not parse is inside
 * none (callers enforcing an allowlist therefore fail closed).
 */
export function ipInCidrs(ip: string | IpAddress | undefined, blocks: readonly (string | CidrBlock)[]): boolean {
  const addr = typeof ip === 'string' ? parseIp(ip) : ip;
  if (!addr) return false;
  return blocks.some((b) => cidrContains(typeof b === 'string' ? parseCidr(b) : b, addr));
}
