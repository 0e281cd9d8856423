/**
 * What every emulated operation does the same way with a request and its response: recording the headers,
 * parsing the JSON body, and streaming event frames until the answer ends or the client goes away.
 */
import { once } from 'node:events';
import type { IncomingHttpHeaders } from 'node:http';
import type { ServiceError } from './faults';
import type { EmulatorState } from './operations';
import type { ResponseLike } from './wire';

/** The error of a body that is not a JSON object. */
export const SERIALIZATION_ERROR: ServiceError = {
  status: 400,
  type: 'SerializationException',
  message: 'Unable to parse the request body as JSON.',
};

/** The headers as recorded in `emulator.requests`: lower-case names, no HTTP/2 pseudo-headers, repeated values joined. */
export function recordHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith(':') || value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}

/** The body as a JSON object (an empty body is `{}`), or undefined when it is not one ({@link SERIALIZATION_ERROR}). */
export function parseJsonObject<T extends object>(raw: Buffer): T | undefined {
  try {
    const parsed: unknown = JSON.parse(raw.toString('utf8') || '{}');
    return parsed === null || typeof parsed !== 'object' || Array.isArray(parsed) ? undefined : (parsed as T);
  } catch {
    return undefined;
  }
}

export interface EventSender {
  /** Aborted when the client goes away or the emulator closes. */
  readonly signal: AbortSignal;
  /** Writes one frame right away (no buffering), waiting for `drain` when the response pushes back. */
  send(frame: Uint8Array): Promise<void>;
}

/**
 * Runs `write` with an {@link EventSender} on `res`. When the client goes away or the emulator closes,
 * `write` stops at its next frame or delay, the response is destroyed quietly and the log says how far it
 * got (`progress()`, e.g. `3 of 12 tokens`).
 */
export async function streamEvents(
  state: EmulatorState,
  res: ResponseLike,
  what: string,
  progress: () => string,
  write: (sender: EventSender) => Promise<void>,
): Promise<void> {
  const controller = new AbortController();
  const { signal } = controller;
  state.activeStreams.add(controller);
  res.on('close', () => controller.abort());
  const send = async (frame: Uint8Array): Promise<void> => {
    signal.throwIfAborted();
    if (!res.write(frame)) await once(res as unknown as NodeJS.EventEmitter, 'drain', { signal });
  };
  try {
    await write({ signal, send });
  } catch (err) {
    if (!signal.aborted) throw err;
    // Client went away (or the emulator is closing): stop quietly.
    state.log(`[bedrock-emulator] ${what}: stream aborted (client disconnected or emulator closing) after ${progress()}`);
    if (!res.writableEnded && !res.destroyed) res.destroy();
  } finally {
    state.activeStreams.delete(controller);
  }
}
