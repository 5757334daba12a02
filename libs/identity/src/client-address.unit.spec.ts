import { describe, expect, it } from 'vitest';
import { compileCidrs } from './cidr.js';
import { clientAddress } from './client-address.js';

const proxies = ['10.0.0.0/8', '2001:db8:ffff::/48'];

describe('clientAddress', () => {
  it('is the socket peer when no proxy is trusted, whatever X-Forwarded-For says', () => {
    expect(clientAddress('203.0.113.5', '198.51.100.1', [])).toBe('203.0.113.5');
    expect(clientAddress('::ffff:203.0.113.5', undefined, [])).toBe('203.0.113.5');
  });

  it('ignores X-Forwarded-For from an untrusted peer', () => {
    expect(clientAddress('203.0.113.5', '198.51.100.1', proxies)).toBe('203.0.113.5');
  });

  it('takes the hop a trusted proxy saw', () => {
    expect(clientAddress('10.0.0.2', '198.51.100.1', proxies)).toBe('198.51.100.1');
    expect(clientAddress('::ffff:10.0.0.2', '198.51.100.1', proxies)).toBe('198.51.100.1');
  });

  it('walks right to left through trusted proxies and stops at the first untrusted hop', () => {
    // The client claimed 1.1.1.1; proxies 10.0.0.9 and 10.0.0.2 are ours.
    expect(clientAddress('10.0.0.2', '1.1.1.1, 198.51.100.1, 10.0.0.9', proxies)).toBe('198.51.100.1');
    expect(clientAddress('10.0.0.2', ['1.1.1.1, 198.51.100.1', '10.0.0.9'], proxies)).toBe('198.51.100.1');
  });

  it('is the leftmost hop when every hop is trusted', () => {
    expect(clientAddress('10.0.0.2', '10.0.0.7, 10.0.0.9', proxies)).toBe('10.0.0.7');
  });

  it('is the trusted peer itself when X-Forwarded-For is missing or empty', () => {
    expect(clientAddress('10.0.0.2', undefined, proxies)).toBe('10.0.0.2');
    expect(clientAddress('10.0.0.2', ' , ', proxies)).toBe('10.0.0.2');
  });

  it('reads IPv6 hops and hops with ports', () => {
    expect(clientAddress('2001:db8:ffff::1', '2001:db8:1::5', proxies)).toBe('2001:db8:1::5');
    expect(clientAddress('10.0.0.2', '[2001:db8:1::5]:443', proxies)).toBe('2001:db8:1::5');
    expect(clientAddress('10.0.0.2', '198.51.100.1:5678', proxies)).toBe('198.51.100.1');
    expect(clientAddress('10.0.0.2', '::ffff:198.51.100.1', proxies)).toBe('198.51.100.1');
  });

  it('is unknown when a trusted hop passed on garbage, or the peer is unknown', () => {
    expect(clientAddress('10.0.0.2', 'unknown', proxies)).toBeUndefined();
    expect(clientAddress('10.0.0.2', '198.51.100.1, _hidden', proxies)).toBeUndefined();
    expect(clientAddress(undefined, '198.51.100.1', proxies)).toBeUndefined();
    expect(clientAddress('garbage', undefined, [])).toBeUndefined();
  });

  it('never believes garbage left of the first untrusted hop', () => {
    expect(clientAddress('10.0.0.2', 'garbage, 198.51.100.1', proxies)).toBe('198.51.100.1');
  });

  it('takes precompiled proxy lists', () => {
    expect(clientAddress('10.0.0.2', '198.51.100.1', compileCidrs(proxies))).toBe('198.51.100.1');
  });
});
