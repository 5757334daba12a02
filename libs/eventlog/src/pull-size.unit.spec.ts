import { describe, expect, it } from 'vitest';
import { pullSize } from './pull-size.js';

const server = (maxPayload: number) => ({ info: { max_payload: maxPayload } as NonNullable<Parameters<typeof pullSize>[0]['info']> });

describe('pullSize', () => {
  it('keeps a pull within 8 MiB even of messages as large as the server allows', () => {
    expect(pullSize(server(1024 * 1024))).toBe(8);
    expect(pullSize(server(2 * 1024 * 1024))).toBe(4);
  });
  it('stays between 4 and 256 messages', () => {
    expect(pullSize(server(64 * 1024 * 1024))).toBe(4);
    expect(pullSize(server(8 * 1024))).toBe(256);
  });
  it('asks for many headers at a time, whatever the largest body may be', () => {
    expect(pullSize(server(64 * 1024 * 1024), { headersOnly: true })).toBe(256);
    expect(pullSize({ info: undefined }, { headersOnly: true })).toBe(256);
  });
  it('assumes the default 1 MiB payload before the server said', () => {
    expect(pullSize({ info: undefined })).toBe(8);
  });
});
