/**
 * Captures everything written to the console and to stdout/stderr while active, so tests can check what
 * reaches the function's logs (CloudWatch gets exactly these streams).
 */
export interface LogCapture {
  /** Every captured line, in order. */
  readonly lines: string[];
  /** The captured lines that parse as JSON objects. */
  json(): Array<Record<string, unknown>>;
  /** All captured text, for "never contains" checks. */
  text(): string;
  clear(): void;
  restore(): void;
}

export function captureLogs(): LogCapture {
  const lines: string[] = [];
  const record = (...args: unknown[]): void => {
    lines.push(args.map((arg) => (typeof arg === 'string' ? arg : arg instanceof Error ? `${arg.stack}` : JSON.stringify(arg))).join(' '));
  };
  const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((method) => jest.spyOn(console, method).mockImplementation(record));
  const writes = ([process.stdout, process.stderr] as const).map((stream) =>
    jest.spyOn(stream, 'write').mockImplementation(((chunk: unknown) => {
      record(Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk));
      return true;
    }) as typeof stream.write),
  );
  return {
    lines,
    json: () =>
      lines.flatMap((line) => {
        try {
          const value: unknown = JSON.parse(line);
          return typeof value === 'object' && value !== null ? [value as Record<string, unknown>] : [];
        } catch {
          return [];
        }
      }),
    text: () => lines.join('\n'),
    clear: () => {
      lines.length = 0;
    },
    restore: () => {
      for (const spy of [...spies, ...writes]) spy.mockRestore();
    },
  };
}

/**
 * Captures logs for the whole enclosing file or `describe` (from its `beforeAll` to its `afterAll`),
 * starting each test with an empty capture.
 */
export function useLogCapture(): LogCapture {
  let capture: LogCapture | undefined;
  beforeAll(() => {
    capture = captureLogs();
  });
  beforeEach(() => capture?.clear());
  afterAll(() => capture?.restore());
  const current = (): LogCapture => {
    if (!capture) throw new Error('useLogCapture(): logs are only captured while tests run');
    return capture;
  };
  return {
    get lines() {
      return current().lines;
    },
    json: () => current().json(),
    text: () => current().text(),
    clear: () => current().clear(),
    restore: () => current().restore(),
  };
}
