import { crc32 } from 'node:zlib';

const STRING_HEADER = 7;

/**
 * Encodes one message of the AWS event-stream binary format (`application/vnd.amazon.eventstream`):
 * total length, headers length, prelude CRC32, string headers, payload, message CRC32 (all big-endian).
 */
export function encodeEventStreamMessage(headers: Readonly<Record<string, string>>, payload: Uint8Array): Buffer {
  const encoded: Buffer[] = [];
  let headersLength = 0;
  for (const [name, value] of Object.entries(headers)) {
    const n = Buffer.from(name, 'utf8');
    const v = Buffer.from(value, 'utf8');
    const h = Buffer.allocUnsafe(4 + n.length + v.length);
    h.writeUInt8(n.length, 0);
    n.copy(h, 1);
    h.writeUInt8(STRING_HEADER, 1 + n.length);
    h.writeUInt16BE(v.length, 2 + n.length);
    v.copy(h, 4 + n.length);
    encoded.push(h);
    headersLength += h.length;
  }
  const total = 12 + headersLength + payload.length + 4;
  const out = Buffer.allocUnsafe(total);
  out.writeUInt32BE(total, 0);
  out.writeUInt32BE(headersLength, 4);
  out.writeUInt32BE(crc32(out.subarray(0, 8)), 8);
  let at = 12;
  for (const h of encoded) {
    h.copy(out, at);
    at += h.length;
  }
  out.set(payload, at);
  out.writeUInt32BE(crc32(out.subarray(0, total - 4)), total - 4);
  return out;
}
