#!/usr/bin/env node
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
// Builds the chat page with the local esbuild into assets/chat-web/ (index.html, app.js, app.css):
// what `ChatWebsite` uploads and what `npm run local` serves.
//   node web/build.mjs            build, unless its inputs are those of the last build (tools/build-cache.mjs; --force)
//   node web/build.mjs --report   also print the sizes (raw and gzip) and the largest inputs
//   node web/build.mjs --out DIR --json   build into DIR and print sizes and inputs as JSON (tests)

import { buildKey, upToDate, writeStamp } from '../tools/build-cache.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const PAGE_DIR = join(root, 'assets', 'chat-web');
export const PAGE_FILES = ['index.html', 'app.js', 'app.css'];

/**
 * The typed client's default credentials provider uses the AWS SDK's Cognito and STS clients (~180 KiB
 * minified). The page always passes its own fetch-based provider (web/src/guest-credentials.ts), so the
 * page build resolves that module to a stand-in that cannot be reached and carries no SDK code.
 */
const withoutSdkCredentials = {
  name: 'page-without-sdk-credentials',
  setup(b) {
    b.onResolve({ filter: /\/guest-credentials$/ }, (args) =>
      args.importer.endsWith(join('client', 'guest-chat-client.ts')) ? { path: join(root, 'web', 'src', 'no-sdk-credentials.ts') } : undefined,
    );
  },
};

const COPIED = [join(root, 'web', 'index.html'), join(root, 'web', 'app.css')];

/** Builds the page into `outdir`; with `cache`, leaves it as it is when its inputs are those of its last build. */
export async function buildPage({ outdir = PAGE_DIR, cache = false } = {}) {
  const options = pageOptions(outdir);
  const key = buildKey('chat-web', { ...options, plugins: [withoutSdkCredentials.name], copied: COPIED }, fileURLToPath(import.meta.url));
  if (cache && upToDate('chat-web', key, outdir)) return { outdir, sizes: pageSizes(outdir), cached: true };
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const { build } = await import('esbuild');
  const result = await build(options);
  copyFileSync(COPIED[0], join(outdir, 'index.html'));
  copyFileSync(COPIED[1], join(outdir, 'app.css'));
  if (cache) writeStamp('chat-web', key, outdir, [...Object.keys(result.metafile.inputs), ...COPIED]);
  return { outdir, sizes: pageSizes(outdir), metafile: result.metafile };
}

function pageSizes(outdir) {
  return Object.fromEntries(
    PAGE_FILES.map((file) => {
      const bytes = readFileSync(join(outdir, file));
      return [file, { bytes: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length }];
    }),
  );
}

function pageOptions(outdir) {
  return {
    entryPoints: [join(root, 'web', 'src', 'main.ts')],
    outfile: join(outdir, 'app.js'),
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: ['es2022', 'chrome111', 'firefox111', 'safari16'],
    minify: true,
    sourcemap: false,
    legalComments: 'none',
    metafile: true,
    plugins: [withoutSdkCredentials],
    logLevel: 'warning',
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = process.argv.indexOf('--out');
  // The cache serves assets/chat-web only: --out, --json and --report build afresh (they need the metafile).
  const cache = out < 0 && !process.argv.includes('--json') && !process.argv.includes('--report');
  const { outdir, sizes, metafile, cached } = await buildPage(out >= 0 ? { outdir: process.argv[out + 1] } : { cache });
  if (cached) console.log('web: chat-web unchanged (inputs as last built; --force rebuilds)');
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify({ sizes, inputs: Object.keys(Object.values(metafile.outputs)[0].inputs) }));
  }
  if (process.argv.includes('--report')) {
    let total = 0;
    let totalGzip = 0;
    for (const [file, { bytes, gzip }] of Object.entries(sizes)) {
      total += bytes;
      totalGzip += gzip;
      console.log(`${relative(root, join(outdir, file))}: ${(bytes / 1024).toFixed(1)} KiB (${(gzip / 1024).toFixed(1)} KiB gzip)`);
    }
    console.log(`page total: ${(total / 1024).toFixed(1)} KiB (${(totalGzip / 1024).toFixed(1)} KiB gzip)`);
    const inputs = Object.values(metafile.outputs)[0].inputs;
    for (const [input, { bytesInOutput }] of Object.entries(inputs)
      .sort((a, b) => b[1].bytesInOutput - a[1].bytesInOutput)
      .slice(0, 8)) {
      console.log(`  ${(bytesInOutput / 1024).toFixed(1).padStart(6)} KiB  ${input}`);
    }
  }
}
