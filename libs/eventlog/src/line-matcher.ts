/**
 * A cheap pre-filter before `JSON.parse`: whether a stored line (canonical JSON, so no
 * whitespace) may be an event of one of `types`. Most of the log is request traffic that a
 * reader does not want; one regular expression scans a line once (an `includes` per type
 * scanned it once per type, which cost more than parsing it). A match can be a false positive
 * (a nested `"type"` member), so callers still check the parsed envelope's `type`; it is never a
 * false negative for a well-formed line.
 */
export function lineMatcher(types: Iterable<string>): (line: string) => boolean {
  const names = [...types].map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  if (!names.length) return () => false;
  const needle = new RegExp(`"type":"(?:${names.join('|')})"`);
  return (line) => needle.test(line);
}
