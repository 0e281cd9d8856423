/**
 * The source address a caller is counted by: an IPv4 address as it is, an IPv6 address by its /64 (one
 * subscriber or host usually holds a whole /64, so counting single IPv6 addresses would give it 2^64 buckets),
 * an IPv4-mapped IPv6 address as its IPv4 address. Anything else (absent, unparsable) is one shared `unknown`.
 */
import { isIPv4, isIPv6 } from 'node:net';

export function sourceAddressKey(sourceIp: string | undefined): string {
  if (typeof sourceIp !== 'string' || sourceIp === '') return 'unknown';
  if (isIPv4(sourceIp)) return sourceIp;
  // A zone index (`fe80::1%eth0`) names an interface of the receiver, not the sender.
  const address = sourceIp.replace(/%.*$/, '');
  if (!isIPv6(address)) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped && isIPv4(mapped[1])) return mapped[1];
  return `${expandIPv6(address).slice(0, 4).join(':')}::/64`;
}

/** The eight hextets of a valid IPv6 address, lower-case without leading zeros. */
function expandIPv6(address: string): string[] {
  let text = address.toLowerCase();
  // A trailing dotted IPv4 part (`::1.2.3.4`) is two hextets.
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number);
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? [] : new Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((hextet) => Number.parseInt(hextet, 16).toString(16));
}
