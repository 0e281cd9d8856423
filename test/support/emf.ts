/**
 * A checker of CloudWatch Embedded Metric Format documents, written from the specification (Amazon CloudWatch
 * User Guide, "Specification: Embedded metric format"), and the metrics a set of log lines publishes.
 */

/** The units EMF accepts (the `StandardUnit` values of CloudWatch). */
export const EMF_UNITS = new Set([
  'Seconds',
  'Microseconds',
  'Milliseconds',
  'Bytes',
  'Kilobytes',
  'Megabytes',
  'Gigabytes',
  'Terabytes',
  'Bits',
  'Kilobits',
  'Megabits',
  'Gigabits',
  'Terabits',
  'Percent',
  'Count',
  'Bytes/Second',
  'Kilobytes/Second',
  'Megabytes/Second',
  'Gigabytes/Second',
  'Terabytes/Second',
  'Bits/Second',
  'Kilobits/Second',
  'Megabits/Second',
  'Gigabits/Second',
  'Terabits/Second',
  'Count/Second',
  'None',
]);

/** One metric a document publishes: namespace, name, unit, its dimensions (name → value) and value. */
export interface PublishedMetric {
  readonly namespace: string;
  readonly name: string;
  readonly unit: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly value: number;
}

/**
 * The problems of one EMF document against the specification; empty when it is valid. Checked: `_aws` is an
 * object with an integer `Timestamp` (epoch ms) and 1+ `CloudWatchMetrics` directives; each directive has a
 * `Namespace` (1-255 characters, not only whitespace), `Dimensions` (arrays of at most 30 names, each a string
 * member of the root of 1-1024 characters) and `Metrics` (at most 100, each a `Name` of 1-1024 characters naming
 * a numeric member of the root, or an array of at most 100 numbers, and an optional `Unit` from the list).
 */
export function emfProblems(document: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const aws = document._aws as Record<string, unknown> | undefined;
  if (typeof aws !== 'object' || aws === null) return ['_aws is missing or not an object'];
  if (!Number.isInteger(aws.Timestamp) || (aws.Timestamp as number) < 0) problems.push('_aws.Timestamp must be a non-negative integer');
  const directives = aws.CloudWatchMetrics;
  if (!Array.isArray(directives) || directives.length === 0) return [...problems, '_aws.CloudWatchMetrics must be a non-empty array'];
  for (const [i, directive] of directives.entries()) {
    const where = `CloudWatchMetrics[${i}]`;
    const { Namespace, Dimensions, Metrics } = directive as Record<string, unknown>;
    if (typeof Namespace !== 'string' || Namespace.trim() === '' || Namespace.length > 255) problems.push(`${where}.Namespace is invalid`);
    if (!Array.isArray(Dimensions)) problems.push(`${where}.Dimensions must be an array`);
    else
      for (const set of Dimensions) {
        if (!Array.isArray(set) || set.length > 30) {
          problems.push(`${where}.Dimensions holds a set that is not an array of at most 30 names`);
          continue;
        }
        for (const name of set) {
          const value = document[name as string];
          if (typeof name !== 'string' || typeof value !== 'string' || value.length === 0 || value.length > 1024) {
            problems.push(`${where}: dimension ${String(name)} must be a string member of 1-1024 characters, got ${JSON.stringify(value)}`);
          }
        }
      }
    if (!Array.isArray(Metrics) || Metrics.length > 100) {
      problems.push(`${where}.Metrics must be an array of at most 100`);
      continue;
    }
    for (const metric of Metrics as Array<Record<string, unknown>>) {
      const name = metric.Name;
      const value = typeof name === 'string' ? document[name] : undefined;
      if (typeof name !== 'string' || name.length === 0 || name.length > 1024) problems.push(`${where}: a metric has an invalid Name`);
      else if (
        !(typeof value === 'number' && Number.isFinite(value)) &&
        !(Array.isArray(value) && value.length <= 100 && value.every(Number.isFinite))
      ) {
        problems.push(`${where}: metric ${name} must be a number member, got ${JSON.stringify(value)}`);
      }
      if (metric.Unit !== undefined && !EMF_UNITS.has(metric.Unit as string))
        problems.push(`${where}: metric ${String(name)} has unit ${String(metric.Unit)}`);
    }
  }
  return problems;
}

/** Every metric the EMF documents among `lines` publish (one per directive, dimension set and metric). */
export function publishedMetrics(lines: ReadonlyArray<Record<string, unknown>>): PublishedMetric[] {
  return lines.flatMap((document) => {
    const aws = document._aws as {
      CloudWatchMetrics?: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string; Unit?: string }> }>;
    };
    return (aws?.CloudWatchMetrics ?? []).flatMap((directive) =>
      directive.Dimensions.flatMap((set) =>
        directive.Metrics.map((metric) => ({
          namespace: directive.Namespace,
          name: metric.Name,
          unit: metric.Unit ?? 'None',
          dimensions: Object.fromEntries(set.map((name) => [name, String(document[name])])),
          value: document[metric.Name] as number,
        })),
      ),
    );
  });
}
