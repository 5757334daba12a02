import { type CidrBlock, cidrContains, formatIp, parseCidr, parseIp, type IpAddress } from './cidr.js';

/** Parses one X-Forwarded-For entry; tolerates a port (`1.2.3.4:5678`, `[2001:db8::1]:443`). */
function parseHop(entry: string): IpAddress | undefined {
  const hop = entry.trim();
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(hop);
  if (bracketed) return parseIp(bracketed[1] as string);
  const v4WithPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(hop);
  if (v4WithPort) return parseIp(v4WithPort[1] as string);
  return parseIp(hop);
}

/**
 * The address of the client that sent a request. Starting from the socket peer, it walks
 * `X-Forwarded-For` from right to left for as long as the hop it came from is a trusted
 * proxy, and returns the first untrusted address (or the leftmost one when every hop is
 * trusted). Entries added by untrusted parties are therefore never believed.
 *
 * Returns undefined when the socket address is unknown, or when a trusted proxy passed on an
 * entry that is not an IP address: the client is then unknown, and allowlists fail closed.
 * List only the proxies' own addresses as trusted: a client inside a trusted range can claim
 * any address.
 */
export function clientAddress(
  socketAddr: string | undefined,
  xForwardedFor: string | readonly string[] | undefined,
  trustedProxies: readonly (string | CidrBlock)[],
): string | undefined {
  const peer = socketAddr === undefined ? undefined : parseIp(socketAddr);
  if (!peer) return undefined;
  const trusted = trustedProxies.map((t) => (typeof t === 'string' ? parseCidr(t) : t));
  const isTrusted = (ip: IpAddress) => trusted.some((b) => cidrContains(b, ip));
  if (!isTrusted(peer) || xForwardedFor === undefined) return formatIp(peer);
  const hops = (typeof xForwardedFor === 'string' ? xForwardedFor : xForwardedFor.join(','))
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '');
  let current = peer;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = parseHop(hops[i] as string);
    if (!hop) return undefined;
    current = hop;
    if (!isTrusted(hop)) break;
  }
  return formatIp(current);
}
