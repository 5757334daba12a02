import { describe, expect, it } from 'vitest';
import { LineSplitter } from './line-splitter.js';
import { NdjsonDecoder } from './ndjson.js';
import { formatSse, SseDecoder } from './sse.js';
import { parseDurationMs, retryAfterMs } from './headers.js';

describe('LineSplitter', () => {
  it('splits on LF, CRLF and CR, including a CRLF cut between chunks', () => {
    const s = new LineSplitter();
    expect(s.push('a\r')).toEqual(['a']);
    expect(s.push('\nb\rc\n')).toEqual(['b', 'c']);
    expect(s.push('par')).toEqual([]);
    expect(s.push('tial')).toEqual([]);
    expect(s.push('\n\n')).toEqual(['partial', '']);
    expect(s.push('tail')).toEqual([]);
    expect(s.end()).toBe('tail');
  });
});

describe('SseDecoder', () => {
  it('joins multi-line data, keeps event names and ignores comments and retry', () => {
    const d = new SseDecoder();
    expect(d.push(': keep-alive\nretry: 100\nevent: x\ndata: one\ndata:two\nid: 7\n\n')).toEqual([{ event: 'x', data: 'one\ntwo', id: '7' }]);
  });

  it('reassembles a UTF-8 character split across byte chunks and drops a leading BOM', () => {
    const bytes = new TextEncoder().encode('\uFEFFdata: ☀️ ok\n\n');
    const d = new SseDecoder();
    const out = [...bytes].flatMap((b) => d.push(new Uint8Array([b])));
    expect(out).toEqual([{ data: '☀️ ok' }]);
  });

  it('flushes a final message without the blank line at end()', () => {
    const d = new SseDecoder();
    expect(d.push('data: {"a":1}')).toEqual([]);
    expect(d.end()).toEqual([{ data: '{"a":1}' }]);
  });

  it('ignores blank-line runs and event lines without data', () => {
    const d = new SseDecoder();
    expect(d.push('\n\nevent: ping\n\ndata: x\n\n')).toEqual([{ data: 'x' }]);
  });

  it('formats messages back', () => {
    expect(formatSse('{}')).toBe('data: {}\n\n');
    expect(formatSse('{}', 'message_stop')).toBe('event: message_stop\ndata: {}\n\n');
  });
});

describe('NdjsonDecoder', () => {
  it('returns complete non-empty lines', () => {
    const d = new NdjsonDecoder();
    expect(d.push('{"a":1}\n\n{"b"')).toEqual(['{"a":1}']);
    expect(d.push(':2}\r\n{"c":3}')).toEqual(['{"b":2}']);
    expect(d.end()).toEqual(['{"c":3}']);
  });
});

describe('retry headers', () => {
  it('parses Go durations and prefers retry-after-ms over retry-after', () => {
    expect(parseDurationMs('6m0s')).toBe(360_000);
    expect(parseDurationMs('1.5s')).toBe(1500);
    expect(parseDurationMs('20ms')).toBe(20);
    expect(parseDurationMs('soon')).toBeUndefined();
    expect(retryAfterMs({ 'Retry-After-Ms': '250', 'retry-after': '3' })).toBe(250);
    expect(retryAfterMs(new Headers({ 'retry-after': '3' }))).toBe(3000);
    expect(retryAfterMs({ 'retry-after': ['2', '9'] })).toBe(2000);
    expect(retryAfterMs({})).toBeUndefined();
  });
});
