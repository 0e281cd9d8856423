/**
 * The AWS event stream framing (`application/vnd.amazon.eventstream`) that `ConverseStream` and `InvokeAgent`
 * answer with, decoded as bytes arrive: each message is a prelude (total length, headers length, CRC-32), typed
 * headers, a payload and the message's CRC-32; both checksums are verified.
 */

export type HeaderValue = string | number | boolean | Uint8Array;

export interface EventStreamMessage {
  readonly headers: Record<string, HeaderValue>;
  readonly body: Buffer;
}

const CRC_TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = -1;
  for (let i = start; i < end; i++) crc = (CRC_TABLE[(crc ^ (bytes[i] ?? 0)) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

function decodeHeaders(bytes: Buffer): Record<string, HeaderValue> {
  const headers: Record<string, HeaderValue> = {};
  let at = 0;
  while (at < bytes.length) {
    const nameLength = bytes.readUInt8(at);
    const name = bytes.toString('utf8', at + 1, at + 1 + nameLength);
    at += 1 + nameLength;
    const type = bytes.readUInt8(at++);
    switch (type) {
      case 0:
      case 1:
        headers[name] = type === 0;
        break;
      case 2:
        headers[name] = bytes.readInt8(at);
        at += 1;
        break;
      case 3:
        headers[name] = bytes.readInt16BE(at);
        at += 2;
        break;
      case 4:
        headers[name] = bytes.readInt32BE(at);
        at += 4;
        break;
      case 5:
      case 8:
        headers[name] = Number(bytes.readBigInt64BE(at));
        at += 8;
        break;
      case 6:
      case 7: {
        const length = bytes.readUInt16BE(at);
        const value = bytes.subarray(at + 2, at + 2 + length);
        headers[name] = type === 7 ? value.toString('utf8') : new Uint8Array(value);
        at += 2 + length;
        break;
      }
      case 9:
        headers[name] = new Uint8Array(bytes.subarray(at, at + 16));
        at += 16;
        break;
      default:
        throw new Error(`Unrecognized event stream header type ${type}`);
    }
  }
  return headers;
}

/** The messages of an event stream, each as soon as its last byte has arrived. */
export async function* decodeEventStream(source: AsyncIterable<Buffer>): AsyncGenerator<EventStreamMessage> {
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of source) {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 12) {
      const total = pending.readUInt32BE(0);
      if (total < 16) throw new Error(`Invalid event stream message length ${total}`);
      if (pending.length < total) break;
      const message = pending.subarray(0, total);
      pending = pending.subarray(total);
      if (crc32(message, 0, 8) !== message.readUInt32BE(8)) throw new Error('Event stream prelude checksum mismatch');
      if (crc32(message, 0, total - 4) !== message.readUInt32BE(total - 4)) throw new Error('Event stream message checksum mismatch');
      const headersLength = message.readUInt32BE(4);
      yield { headers: decodeHeaders(message.subarray(12, 12 + headersLength)), body: message.subarray(12 + headersLength, total - 4) };
    }
  }
  if (pending.length > 0) throw new Error('Event stream ended inside a message');
}
