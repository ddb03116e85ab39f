import { createHmac } from 'node:crypto';
import { isIPv6 } from 'node:net';
import type { Request } from 'express';

/** The client a request comes from, as the log stores it: never the address itself. */
export type ClientOf = (req: Request) => string;

/**
 * A keyed hash of the client's address: 16 hex characters of HMAC-SHA256 under a key derived
 * from the app's secret, so the log can tell clients apart (the moderation rule's per-client
 * budgets, the admin API's "every row of this client") without holding addresses, and an address
 * cannot be recovered by hashing guesses without the secret. Every instance sharing the secret
 * gives a client the same id.
 *
 * The address is `req.ip`: the peer, or with TRUST_PROXY the address the trusted proxy reports.
 * An IPv6 client is its /64 network, since one host can take any address in it; an IPv4-mapped
 * IPv6 address is its IPv4 address.
 */
export function clientIdentity(secret: string): ClientOf {
  const key = createHmac('sha256', secret).update('movieclassifier client identity v1').digest();
  // Every prediction asks, and an HMAC costs several microseconds; a server sees few addresses at
  // a time. Forgotten all at once when full: an address seen again is hashed again, same answer.
  const known = new Map<string, string>();
  return (req) => {
    const address = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    let id = known.get(address);
    if (id === undefined) {
      id = createHmac('sha256', key).update(networkOf(address)).digest('hex').slice(0, 16);
      if (known.size >= REMEMBERED_ADDRESSES) known.clear();
      known.set(address, id);
    }
    return id;
  };
}

/** Addresses whose ids are kept (about 100 bytes each). */
const REMEMBERED_ADDRESSES = 10_000;

function networkOf(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped !== null) return mapped[1];
  if (!isIPv6(address)) return address;
  const [head = '', tail = ''] = address.toLowerCase().split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = address.includes('::')
    ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
