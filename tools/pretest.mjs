#!/usr/bin/env node
/**
 * What `npm test` (and `npm run test:integration`) needs before jest, run at once rather than one after another:
 * the Lambda bundles (`lambdas/build.mjs`), the chat page (`web/build.mjs`), and Node.js 24 for the runtime tests
 * (`tools/node24`, an npm install the first time: mostly waiting on the registry, while the builds use the CPU).
 * The builds skip bundles whose inputs did not change (tools/build-cache.mjs); node24 is installed once.
 *
 * Each step's output is printed whole when it ends; the exit code is the first failed step's (0 when all pass).
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const STEPS = [['lambdas/build.mjs'], ['web/build.mjs'], ['tools/node24']];

function run(args) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const output = [];
    child.stdout.on('data', (chunk) => output.push(chunk));
    child.stderr.on('data', (chunk) => output.push(chunk));
    child.on('error', (error) => resolve({ args, code: 1, output: Buffer.from(`${error.message}\n`) }));
    child.on('close', (code, signal) => resolve({ args, code: code ?? (signal ? 1 : 0), output: Buffer.concat(output) }));
  });
}

const results = await Promise.all(
  STEPS.map((args) =>
    run(args).then((result) => {
      process.stdout.write(`> node ${args.join(' ')}${result.code === 0 ? '' : ` (exit ${result.code})`}\n`);
      process.stdout.write(result.output);
      return result;
    }),
  ),
);
process.exitCode = results.find((result) => result.code !== 0)?.code ?? 0;
