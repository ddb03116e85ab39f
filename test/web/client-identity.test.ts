import type { Request } from 'express';
import { describe, expect, it } from 'vitest';

import { clientIdentity } from '../../src/web/client-identity.js';

const from = (ip: string) => ({ ip, socket: {} }) as Request;

describe('clientIdentity', () => {
  it('gives an address the same 16-hex-character id every time, and another address another id', () => {
    const clientOf = clientIdentity('secret');
    const id = clientOf(from('203.0.113.7'));
    expect(id).toMatch(/^[0-9a-f]{16}$/);
    expect(clientOf(from('203.0.113.7'))).toBe(id);
    expect(clientOf(from('203.0.113.8'))).not.toBe(id);
  });

  it('gives the same id under the same secret in another instance, and another id under another secret', () => {
    expect(clientIdentity('secret')(from('203.0.113.7'))).toBe(clientIdentity('secret')(from('203.0.113.7')));
    expect(clientIdentity('other')(from('203.0.113.7'))).not.toBe(clientIdentity('secret')(from('203.0.113.7')));
  });

  it('takes an IPv6 client as its /64 and an IPv4-mapped address as the IPv4 address', () => {
    const clientOf = clientIdentity('secret');
    expect(clientOf(from('2001:db8:1:2::1'))).toBe(clientOf(from('2001:0db8:0001:0002:ffff:1:2:3')));
    expect(clientOf(from('2001:db8:1:3::1'))).not.toBe(clientOf(from('2001:db8:1:2::1')));
    expect(clientOf(from('::ffff:203.0.113.7'))).toBe(clientOf(from('203.0.113.7')));
  });

  it('answers the same for an address after more addresses than it remembers have come between', () => {
    const clientOf = clientIdentity('secret');
    const first = clientOf(from('198.51.100.1'));
    for (let n = 0; n < 12_000; n++) clientOf(from(`10.${n >> 8}.${n & 255}.1`));
    expect(clientOf(from('198.51.100.1'))).toBe(first);
    expect(clientIdentity('secret')(from('198.51.100.1'))).toBe(first);
  });
});
