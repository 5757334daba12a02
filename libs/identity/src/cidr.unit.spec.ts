import { describe, expect, it } from 'vitest';
import { cidrContains, compileCidrs, formatIp, ipInCidrs, isValidCidr, normalizeCidr, normalizeIp, parseCidr, parseIp } from './cidr.js';

describe('parseIp / normalizeIp', () => {
  it.each([
    ['10.0.0.1', '10.0.0.1'],
    ['0.0.0.0', '0.0.0.0'],
    ['255.255.255.255', '255.255.255.255'],
    ['::', '::'],
    ['::1', '::1'],
    ['2001:DB8::1', '2001:db8::1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // RFC 5952: the first of two equal zero runs
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group is not compressed
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
    ['fe80::1%eth0', 'fe80::1'],
    ['::ffff:192.0.2.7', '192.0.2.7'], // IPv4-mapped: held as IPv4
    ['::FFFF:c000:0207', '192.0.2.7'],
    ['::192.0.2.7', '::c000:207'], // IPv4-compatible (deprecated) is not mapped
    ['64:ff9b::192.0.2.7', '64:ff9b::c000:207'],
  ])('%s -> %s', (input, expected) => {
    expect(normalizeIp(input)).toBe(expected);
  });

  it.each([
    '',
    '10.0.0',
    '10.1', // legacy short form
    '010.0.0.1', // leading zero (octal in some parsers)
    '0x0a.0.0.1',
    '256.0.0.1',
    '1.2.3.4.5',
    ' 10.0.0.1',
    '1::2::3',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    ':1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:',
    '12345::',
    'g::1',
    '::ffff:1.2.3',
    '::1.2.3.4:5',
    'localhost',
  ])('refuses %j', (input) => {
    expect(parseIp(input)).toBeUndefined();
  });
});

describe('parseCidr', () => {
  it.each([
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['10.1.2.3', '10.1.2.3/32'],
    ['10.1.2.3/32', '10.1.2.3/32'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['192.168.128.0/17', '192.168.128.0/17'],
    ['2001:DB8::/32', '2001:db8::/32'],
    ['::/0', '::/0'],
    ['::1', '::1/128'],
    ['2001:db8:8000::/33', '2001:db8:8000::/33'],
    ['::ffff:10.0.0.0/104', '10.0.0.0/8'], // IPv4-mapped block becomes the IPv4 block it covers
    ['::ffff:0:0/96', '0.0.0.0/0'],
  ])('%s -> %s', (input, expected) => {
    expect(normalizeCidr(input)).toBe(expected);
  });

  it.each([
    ['10.0.0.1/8', /host bits are set \(the network is 10\.0\.0\.0\/8\)/],
    ['2001:db8::1/32', /host bits are set \(the network is 2001:db8::\/32\)/],
    ['10.0.0.0/33', /prefix length must be a number from 0 to 32/],
    ['::/129', /from 0 to 128/],
    ['10.0.0.0/08', /prefix length/],
    ['10.0.0.0/', /prefix length/],
    ['10.0.0.0/-1', /prefix length/],
    ['10.0.0.0/8/8', /prefix length/],
    ['10.0/16', /not an IPv4 address in standard notation/],
    ['fe80::%eth0/64', /zone id/],
    ['example.com/24', /not an IPv4 address/],
  ])('refuses %s', (input, message) => {
    expect(() => parseCidr(input)).toThrow(message);
    expect(() => parseCidr(input)).toThrow(expect.objectContaining({ code: 'TOTRA_CIDR_INVALID', input }));
    expect(isValidCidr(input)).toBe(false);
  });
});

describe('matching', () => {
  const cases: [string, string, boolean][] = [
    ['10.0.0.0/8', '10.255.255.255', true],
    ['10.0.0.0/8', '11.0.0.0', false],
    ['10.0.0.0/8', '9.255.255.255', false],
    ['192.168.128.0/17', '192.168.128.1', true],
    ['192.168.128.0/17', '192.168.127.255', false],
    ['192.168.128.0/17', '192.168.255.255', true],
    ['0.0.0.0/0', '203.0.113.9', true],
    ['203.0.113.9/32', '203.0.113.9', true],
    ['203.0.113.9/32', '203.0.113.8', false],
    ['10.0.0.0/8', '::ffff:10.1.2.3', true], // an IPv4-mapped client matches IPv4 rules
    ['::ffff:10.0.0.0/104', '10.1.2.3', true],
    ['2001:db8::/32', '2001:db8:ffff::1', true],
    ['2001:db8::/32', '2001:db9::1', false],
    ['2001:db8:8000::/33', '2001:db8:7fff::1', false],
    ['2001:db8:8000::/33', '2001:db8:8000::1', true],
    ['::/0', '2001:db8::1', true],
    ['::/0', '10.0.0.1', false], // all of IPv6 is not all of IPv4
    ['0.0.0.0/0', '2001:db8::1', false],
    ['::1/128', '::1', true],
    ['fe80::/10', 'fe80::1%eth0', true],
  ];
  it.each(cases)('%s contains %s: %s', (cidr, ip, expected) => {
    const addr = parseIp(ip);
    expect(addr).toBeDefined();
    expect(cidrContains(parseCidr(cidr), addr!)).toBe(expected);
    expect(ipInCidrs(ip, [cidr])).toBe(expected);
  });

  it('checks a list, and an unparseable address is in no list', () => {
    const list = compileCidrs(['10.0.0.0/8', '2001:db8::/32']);
    expect(ipInCidrs('10.9.9.9', list)).toBe(true);
    expect(ipInCidrs('2001:db8::5', list)).toBe(true);
    expect(ipInCidrs('172.16.0.1', list)).toBe(false);
    expect(ipInCidrs('not-an-ip', list)).toBe(false);
    expect(ipInCidrs(undefined, list)).toBe(false);
    expect(ipInCidrs('10.0.0.1', [])).toBe(false);
  });

  it('formats what it parses', () => {
    expect(formatIp(parseIp('2001:db8:0:0:0:0:2:1')!)).toBe('2001:db8::2:1');
  });
});
