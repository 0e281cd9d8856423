/**
 * `npm run local` shows the metrics each request would publish: every summary line the function writes is an
 * Embedded Metric Format document (lambdas/chat/core/metrics.ts), printed as it would be shipped to CloudWatch Logs,
 * followed by one readable line of what CloudWatch would extract from it, e.g.
 *
 *   ↳ metrics BedrockChat (FunctionName=local-chat): Requests 1, Latency 412 ms, TimeToFirstToken 38 ms, …
 *     per Model=haiku: InputTokens 21, OutputTokens 40 · per Outcome=ok · per OutcomeClass=ok
 */

interface Directive {
  readonly Namespace: string;
  readonly Dimensions: string[][];
  readonly Metrics: Array<{ Name: string; Unit?: string }>;
}

const UNIT_SUFFIX: Readonly<Record<string, string>> = { Milliseconds: ' ms', Seconds: ' s' };

/** The readable form of an EMF document's metrics, or undefined when `text` is not one. */
export function describeEmf(text: string): string | undefined {
  let document: Record<string, unknown>;
  try {
    document = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const directives = (document?._aws as { CloudWatchMetrics?: Directive[] } | undefined)?.CloudWatchMetrics;
  const [first, ...rest] = Array.isArray(directives) ? directives : [];
  if (!first) return undefined;
  const value = (metric: { Name: string; Unit?: string }): string => `${metric.Name} ${document[metric.Name]}${UNIT_SUFFIX[metric.Unit ?? ''] ?? ''}`;
  const base = first.Dimensions[0] ?? [];
  const dims = (set: string[], skip: readonly string[]): string =>
    set
      .filter((name) => !skip.includes(name))
      .map((name) => `${name}=${document[name]}`)
      .join(', ');
  const head = `  ↳ metrics ${first.Namespace} (${dims(base, [])}): ${first.Metrics.map(value).join(', ')}`;
  const more = rest.map((directive) => {
    const only = directive.Metrics.length === 1 && directive.Metrics[0]?.Name === 'Requests';
    return `per ${dims(directive.Dimensions[0] ?? [], base)}${only ? '' : `: ${directive.Metrics.map(value).join(', ')}`}`;
  });
  return more.length > 0 ? `${head}\n    ${more.join(' · ')}` : head;
}

/**
 * Echoes a readable line after every EMF document written to `stream` (the function writes its summary line
 * there, as in Lambda). Returns the function that undoes it.
 */
export function echoMetrics(stream: NodeJS.WriteStream = process.stdout): () => void {
  const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    const result = write(chunk, ...rest);
    if (typeof chunk === 'string' && chunk.includes('"_aws"')) {
      for (const text of chunk.split('\n')) {
        const readable = describeEmf(text);
        if (readable) write(`${readable}\n`);
      }
    }
    return result;
  }) as typeof stream.write;
  return () => {
    stream.write = write as typeof stream.write;
  };
}
