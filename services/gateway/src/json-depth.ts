/**
 * How deep a request body or a provider's answer may nest arrays and objects. No API body comes
 * near it (a tool's JSON Schema nests a few levels inside a few levels of messages and parts); a
 * body nested thousands deep would exhaust the stack of every step that walks it (decoding,
 * scanning, re-encoding).
 */
export const MAX_JSON_DEPTH = 128;

/**
 * Whether JSON text (bytes or a string) nests arrays and objects deeper than `max`: one pass,
 * brackets inside strings not counted. A text shorter than `max` brackets cannot, and is not
 * scanned.
 */
export function nestedDeeperThan(json: Uint8Array | string, max: number): boolean {
  if (json.length <= max) return false;
  const text = typeof json === 'string';
  let depth = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = text ? json.charCodeAt(i) : json[i];
    if (inString) {
      if (c === 0x5c) i++; // a backslash escapes the next byte
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}
