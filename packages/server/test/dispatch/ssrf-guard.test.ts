import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { describe, it } from 'node:test';
import { ValidationError } from '../../src/errors.js';
import {
  BlockedAddressError,
  blockedAddressReason,
  guardedLookup,
  isPublicAddress,
  validateEndpointUrl,
} from '../../src/dispatch/ssrf-guard.js';

describe('blockedAddressReason', () => {
  const blocked: Array<[string, RegExp]> = [
    ['127.0.0.1', /^loopback/],
    ['127.255.255.254', /^loopback/],
    ['10.0.0.1', /^private address \(10\.0\.0\.0\/8\)/],
    ['172.16.0.1', /^private address \(172\.16\.0\.0\/12\)/],
    ['172.31.255.255', /^private/],
    ['192.168.1.1', /^private address \(192\.168\.0\.0\/16\)/],
    ['169.254.169.254', /^link-local.*metadata/],
    ['100.64.0.1', /^carrier-grade NAT/],
    ['100.127.255.255', /^carrier-grade NAT/],
    ['0.0.0.0', /this network/],
    ['0.1.2.3', /this network/],
    ['224.0.0.1', /^multicast/],
    ['239.255.255.250', /^multicast/],
    ['255.255.255.255', /^broadcast/],
    ['240.0.0.1', /^reserved/],
    ['192.0.0.8', /^IETF/],
    ['192.0.2.10', /^documentation/],
    ['198.51.100.7', /^documentation/],
    ['203.0.113.99', /^documentation/],
    ['198.18.0.1', /^benchmarking/],
    ['::1', /^loopback/],
    ['::', /^unspecified/],
    ['0:0:0:0:0:0:0:1', /^loopback/],
    ['fe80::1', /^link-local/],
    ['fe80::1%eth0', /^link-local/],
    ['febf:ffff::1', /^link-local/],
    ['fc00::1', /^unique local/],
    ['fd12:3456:789a::1', /^unique local/],
    ['ff02::1', /^multicast/],
    ['fec0::1', /^site-local/],
    ['::ffff:127.0.0.1', /^IPv4-mapped loopback/],
    ['::ffff:7f00:1', /^IPv4-mapped loopback/],
    ['::ffff:10.1.2.3', /^IPv4-mapped private/],
    ['::ffff:169.254.169.254', /^IPv4-mapped link-local/],
    ['64:ff9b::a9fe:a9fe', /^NAT64 link-local/],
    ['::127.0.0.1', /^IPv4-compatible/],
    ['2001:db8::1', /^documentation/],
    ['3fff::1', /^documentation/],
    ['2001::1', /^IETF.*Teredo/],
    ['2002:7f00:1::1', /^6to4/],
    ['100::1', /^discard-only/],
    ['4000::1', /^reserved .*2000::\/3/],
  ];
  for (const [address, reason] of blocked) {
    it(`refuses ${address}`, () => {
      assert.match(blockedAddressReason(address) ?? 'public', reason);
      assert.equal(isPublicAddress(address), false);
    });
  }

  const allowed = [
    '93.184.215.14',
    '8.8.8.8',
    '1.1.1.1',
    '172.15.255.255',
    '172.32.0.1',
    '100.63.255.255',
    '100.128.0.1',
    '192.169.0.1',
    '223.255.255.255',
    '2606:4700:4700::1111',
    '2a00:1450:4001:81b::200e',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
  ];
  for (const address of allowed) {
    it(`allows the public address ${address}`, () => {
      assert.equal(blockedAddressReason(address), null);
      assert.equal(isPublicAddress(address), true);
    });
  }

  it('refuses a string that is not an IP address', () => {
    assert.equal(blockedAddressReason('example.com'), 'not an IP address');
  });
});

describe('guardedLookup', () => {
  function lookup(hostname: string, all: boolean): Promise<{ error: Error | null; address: string | LookupAddress[] }> {
    return new Promise((resolve) => {
      guardedLookup(hostname, { all }, (error, address) => resolve({ error, address }));
    });
  }

  it('refuses a name that resolves to loopback, naming the name, the address and the way out', async () => {
    for (const all of [false, true]) {
      const { error } = await lookup('localhost', all);
      assert.ok(error instanceof BlockedAddressError, `all=${all}`);
      assert.equal(error.host, 'localhost');
      assert.match(
        error.message,
        /^refused to deliver to localhost \((127\.0\.0\.1|::1)\): loopback address \(start Herald with --allow-private-networks to allow\)$/,
      );
    }
  });

  it('passes resolution errors through unchanged', async () => {
    const { error } = await lookup('no-such-host.invalid', false);
    assert.ok(error);
    assert.ok(!(error instanceof BlockedAddressError));
    assert.match((error as NodeJS.ErrnoException).code ?? '', /ENOTFOUND|EAI_AGAIN/);
  });
});

describe('validateEndpointUrl', () => {
  it('accepts http and https URLs with a host, port, path and query', () => {
    assert.equal(validateEndpointUrl('https://hooks.example.com/herald?x=1').hostname, 'hooks.example.com');
    assert.equal(validateEndpointUrl('http://127.0.0.1:8080/hook').port, '8080');
    assert.equal(validateEndpointUrl('https://[2606:4700::1]/hook').hostname, '[2606:4700::1]');
  });

  const invalid: Array<[string, string, RegExp]> = [
    ['text that is not a URL', 'not a url', /must be an absolute URL/],
    ['a relative URL', '/hook', /must be an absolute URL/],
    ['an ftp URL', 'ftp://example.com/hook', /must use http or https, not ftp/],
    ['a file URL', 'file:///etc/passwd', /must use http or https, not file/],
    ['a javascript URL', 'javascript:alert(1)', /must use http or https, not javascript/],
    ['a URL with a username', 'https://user@example.com/hook', /must not contain a username or password/],
    ['a URL with a password', 'https://user:secret@example.com/hook', /must not contain a username or password/],
    ['a URL without a host', 'https://', /must be an absolute URL/],
  ];
  for (const [what, url, rule] of invalid) {
    it(`refuses ${what} with a ValidationError on field url`, () => {
      assert.throws(
        () => validateEndpointUrl(url),
        (error: unknown) => {
          assert.ok(error instanceof ValidationError);
          assert.equal(error.field, 'url');
          assert.match(error.message, /^url /);
          assert.match(error.message, rule);
          return true;
        },
      );
    });
  }
});
