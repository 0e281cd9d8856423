/**
 * `npm run synth` timed as a developer meets it (used by `npm run bench`; alone: `npm run bench:synth`):
 * - cold: as in a fresh clone, nothing cached: every bundle and the page rebuilt (`BUILD_CACHE=off`), every
 *   template validated and nothing reused (`CFN_VALIDATE_CACHE=off`, `SYNTH_CACHE=off`), tsx transpiling every
 *   source again (`TSX_DISABLE_CACHE=1`);
 * - warm: nothing changed since the last synth (one untimed run first, so the caches hold this checkout);
 * - after a change to a construct's source that leaves every template as it was (a comment added to
 *   `lib/constructs/rate-limit-table.ts`): the app runs with every gate, no template needs validating;
 * - after a change to that construct's code that changes its resource (a tag on the rate-limit table, a value not
 *   used before): every stack with a rate-limit table, in every stage, has a new template to validate;
 * - after a stage setting changed (`requestsPerMinute` of the `dev` stage in `cdk.json`, a value not used
 *   before): the app runs with every gate, and the dev stage's changed templates are validated.
 * The changes are made to the files in place and undone as soon as their run ends (also when it fails), so
 * the checkout is as it was; each run goes into a fresh output directory. Wall time, and CPU (user + system of
 * every process the command ran, from Linux's /proc: children's times once they were waited for) when available.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

export interface SynthTiming {
  readonly wallMs: number;
  /** User + system CPU of the command and everything it started; undefined where /proc is not available. */
  readonly cpuMs?: number;
}

export interface SynthFigures {
  readonly cold: SynthTiming;
  readonly warm: SynthTiming;
  /** After a construct's source changed without changing a template (a comment added). */
  readonly sourceChanged: SynthTiming;
  /** After a construct's code changed the templates of every stage that uses it. */
  readonly constructChanged: SynthTiming;
  /** After a stage setting changed the dev stage's templates. */
  readonly settingChanged: SynthTiming;
  /** One-minute load average before the first run and after the last. */
  readonly load: readonly [number, number];
}

/** Every run's caches switched off: what a fresh clone does on its first `npm run synth`. */
export const COLD_ENV: Readonly<Record<string, string>> = {
  BUILD_CACHE: 'off',
  CFN_VALIDATE_CACHE: 'off',
  SYNTH_CACHE: 'off',
  TSX_DISABLE_CACHE: '1',
};

/** CPU time of this process's waited-for children, in ms (Linux), else undefined. */
function childrenCpuMs(): number | undefined {
  try {
    // Fields after the command name: state is field 3; cutime and cstime are fields 16 and 17, in clock ticks (100/s).
    const fields = readFileSync('/proc/self/stat', 'utf8')
      .replace(/^.*\) /, '')
      .split(' ');
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return undefined;
  }
}

/** Runs `npm run synth -- -o <outdir>` once and times it; throws with its output when it fails. */
export function timeSynth(outdir: string, env: Record<string, string | undefined> = {}): SynthTiming {
  const cpuBefore = childrenCpuMs();
  const started = performance.now();
  const run = spawnSync('npm', ['run', 'synth', '--', '-o', outdir], {
    cwd: ROOT,
    env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  const wallMs = performance.now() - started;
  if (run.status !== 0) throw new Error(`npm run synth failed: ${run.stderr}`);
  const cpuAfter = childrenCpuMs();
  return { wallMs, cpuMs: cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore };
}

/** Runs `run` with `file` changed by `change`, and puts the file's bytes back afterwards, whatever happens. */
function withFileChanged<T>(file: string, change: (content: string) => string, run: () => T): T {
  const original = readFileSync(file);
  writeFileSync(file, change(original.toString('utf8')));
  try {
    return run();
  } finally {
    writeFileSync(file, original);
  }
}

/** The construct whose source the after-a-change case edits (a comment: no template changes). */
const CONSTRUCT_SOURCE = path.join(ROOT, 'lib', 'constructs', 'rate-limit-table.ts');

/** The rate-limit table's source with a tag added to its table (every template with such a table changes). */
function withTableTag(source: string, value: string): string {
  const anchor = '      billing: dynamodb.Billing.onDemand(),\n';
  if (!source.includes(anchor)) throw new Error(`${CONSTRUCT_SOURCE} no longer has the line the construct change edits: ${anchor.trim()}`);
  return source.replace(anchor, `${anchor}      tags: [{ key: 'synth-bench', value: '${value}' }],\n`);
}

/** `cdk.json` with the dev stage's `requestsPerMinute` set to `value`. */
function withDevRequestsPerMinute(cdkJson: string, value: number): string {
  const config = JSON.parse(cdkJson) as { context: { stages: { dev: { requestsPerMinute: number } } } };
  config.context.stages.dev.requestsPerMinute = value;
  return `${JSON.stringify(config, null, 2)}\n`;
}

/**
 * The cold case, an untimed run, the warm case, then the after-a-change cases; `outdir(label)` gives each run a
 * fresh directory.
 */
export function measureSynth(outdir: (label: string) => string): SynthFigures {
  const before = loadavg()[0] ?? 0;
  const cold = timeSynth(outdir('cold'), COLD_ENV);
  timeSynth(outdir('prime'));
  const warm = timeSynth(outdir('warm'));
  // A value no earlier run recorded, so that neither the assembly nor the validation cache knows its templates.
  const stamp = Date.now();
  const sourceChanged = withFileChanged(
    CONSTRUCT_SOURCE,
    (source) => `${source}// npm run bench:synth, ${stamp}: a source change that leaves every template as it was\n`,
    () => timeSynth(outdir('source-changed')),
  );
  const constructChanged = withFileChanged(
    CONSTRUCT_SOURCE,
    (source) => withTableTag(source, String(stamp)),
    () => timeSynth(outdir('construct-changed')),
  );
  const settingChanged = withFileChanged(
    path.join(ROOT, 'cdk.json'),
    (cdkJson) => withDevRequestsPerMinute(cdkJson, 1000 + (stamp % 90_000)),
    () => timeSynth(outdir('setting-changed')),
  );
  return { cold, warm, sourceChanged, constructChanged, settingChanged, load: [before, loadavg()[0] ?? 0] };
}

/** `warm 5.1 s wall, 4.2 s CPU; after a source change …; after a construct change …; after a setting change …; cold …` */
export function describeFigures(figures: SynthFigures): string {
  return [
    `warm ${describeTiming(figures.warm)}`,
    `after a source change ${describeTiming(figures.sourceChanged)}`,
    `after a construct change ${describeTiming(figures.constructChanged)}`,
    `after a stage setting change ${describeTiming(figures.settingChanged)}`,
    `cold ${describeTiming(figures.cold)}`,
    `load ${figures.load.map((l) => l.toFixed(1)).join(' → ')}`,
  ].join('; ');
}

/** `12.3 s wall, 9.8 s CPU` */
export function describeTiming(t: SynthTiming): string {
  return `${(t.wallMs / 1000).toFixed(1)} s wall${t.cpuMs === undefined ? '' : `, ${(t.cpuMs / 1000).toFixed(1)} s CPU`}`;
}

if (require.main === module) {
  const figures = measureSynth((label) => mkdtempSync(path.join(tmpdir(), `synth-${label}-`)));
  console.log(`npm run synth, all stages: ${describeFigures(figures)}`);
}
