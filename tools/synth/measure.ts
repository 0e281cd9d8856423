/**
 * `npm run synth` timed as a developer meets it, in two cases (used by `npm run bench`; alone: `npm run bench:synth`):
 * - cold: as in a fresh clone, nothing cached: every bundle and the page rebuilt (`BUILD_CACHE=off`), every
 *   template validated and nothing reused (`CFN_VALIDATE_CACHE=off`, `SYNTH_CACHE=off`), tsx transpiling every
 *   source again (`TSX_DISABLE_CACHE=1`);
 * - warm: nothing changed since the last synth (one untimed run first, so the caches hold this checkout).
 * Each into a fresh output directory; wall time, and CPU (user + system of every process the command ran, from
 * Linux's /proc: children's times once they were waited for) when available.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
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

/** The cold case, then an untimed run, then the warm case; `outdir(label)` gives each run a fresh directory. */
export function measureSynth(outdir: (label: string) => string): SynthFigures {
  const before = loadavg()[0] ?? 0;
  const cold = timeSynth(outdir('cold'), COLD_ENV);
  timeSynth(outdir('prime'));
  const warm = timeSynth(outdir('warm'));
  return { cold, warm, load: [before, loadavg()[0] ?? 0] };
}

/** `12.3 s wall, 9.8 s CPU` */
export function describeTiming(t: SynthTiming): string {
  return `${(t.wallMs / 1000).toFixed(1)} s wall${t.cpuMs === undefined ? '' : `, ${(t.cpuMs / 1000).toFixed(1)} s CPU`}`;
}

if (require.main === module) {
  const figures = measureSynth((label) => mkdtempSync(path.join(tmpdir(), `synth-${label}-`)));
  console.log(
    `npm run synth, all stages: warm ${describeTiming(figures.warm)}; cold ${describeTiming(figures.cold)}; load ${figures.load[0].toFixed(1)} → ${figures.load[1].toFixed(1)}`,
  );
}
