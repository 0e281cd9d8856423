/**
 * The operation a command names: the function's own commands (aws/commands.ts, what the bundles use) carry it, an
 * AWS SDK command (what the runtime modules build when run from source, in tests and tools) has it in its class name.
 */
export interface CommandLike {
  readonly input: object;
}

export function operationOf(command: CommandLike): string {
  const own = (command as { operation?: unknown }).operation;
  if (typeof own === 'string') return own;
  return command.constructor.name.replace(/Command$/, '');
}

/** JSON with every byte array as base64 (AWS JSON protocols' blobs). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key: string, v: unknown) {
    const raw = this[key];
    return raw instanceof Uint8Array ? Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64') : v;
  });
}

export const fromBase64 = (value: string): Uint8Array => new Uint8Array(Buffer.from(value, 'base64'));
