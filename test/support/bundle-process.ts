/**
 * A BUILT bundle (assets/<mode>/index.mjs) served by serve-bundle.ts in a child process, as Lambda loads it: its own
 * event loop, apart from the test's dynalite, emulator and token issuer (a burst of concurrent requests then meets
 * the function's DynamoDB timeouts as a deployed function would, not a test process doing everything at once).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { BASE_ENV } from './local-services';

/**
 * Node's arguments that run a TypeScript file with tsx's loader in the one process (as `npm run local` does), rather
 * than through tsx's CLI, which starts a second node process for it: ~0.2 s of CPU and ~0.4 s of wall time a run.
 */
export const TSX_IMPORT = ['--import', pathToFileURL(require.resolve('tsx')).href];

export interface BundleProcess {
  /** The Function-URL-like server's URL, ending in `/`. */
  readonly url: string;
  /** Everything the process wrote (its logs). */
  output(): string;
  /** SIGTERM, then resolves once it exited. */
  stop(): Promise<void>;
}

/** Starts `assets/<bundle>/index.mjs` with `env` (over BASE_ENV); `auth` `none` for a public URL (bearer tokens, API keys). */
export function startBundleProcess(
  bundle: string,
  env: Record<string, string>,
  auth: 'iam' | 'none',
  startTimeoutMs = 30_000,
): Promise<BundleProcess> {
  const file = path.join(__dirname, '../../assets', bundle, 'index.mjs');
  const child: ChildProcess = spawn(process.execPath, [...TSX_IMPORT, path.join(__dirname, 'serve-bundle.ts'), file, auth], {
    env: { ...process.env, ...BASE_ENV, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const stop = (): Promise<void> =>
    child.exitCode !== null || child.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        });
  return new Promise<BundleProcess>((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`bundle ${bundle} did not start in ${startTimeoutMs} ms: ${output}`));
    }, startTimeoutMs);
    child.stdout?.on('data', (d: Buffer) => {
      output += d.toString();
      const match = /listening (\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ url: match[1] as string, output: () => output, stop });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`bundle ${bundle} exited ${code}: ${output}`));
    });
  });
}
