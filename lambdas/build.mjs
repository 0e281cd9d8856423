#!/usr/bin/env node
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
// Bundles each deployed Lambda mode with the local esbuild (never Docker) into assets/<name>/.
//   node lambdas/build.mjs                 build every bundle whose inputs changed (tools/build-cache.mjs; --force: all)
//   node lambdas/build.mjs --copy-to DIR   also copy assets/ to DIR (the package build)
//   node lambdas/build.mjs --report        print each bundle's size and its largest inputs
//   node lambdas/build.mjs --out-root DIR --json   build into DIR and print the results (tests)
import { buildKey, upToDate, writeStamp } from '../tools/build-cache.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** One entry per deployed mode (contract/bundles.json); each imports only the clients that mode calls. */
export const BUNDLES = JSON.parse(readFileSync(join(root, 'contract', 'bundles.json'), 'utf8'));

/**
 * The AWS SDK packages whose commands the runtime modules build: in a bundle they resolve to the function's own
 * stand-ins (lambdas/chat/aws/commands/), which its own clients (lambdas/chat/aws/) send. The SDK's clients,
 * serialisers, endpoint rules and credential chain were most of a cold start's work (README, Performance); the
 * STS client, loaded only by an assumed-role deployment on its first call, stays the SDK's.
 */
export const SDK_COMMAND_STAND_INS = {
  '@aws-sdk/client-dynamodb': 'lambdas/chat/aws/commands/dynamodb.ts',
  '@aws-sdk/client-bedrock-runtime': 'lambdas/chat/aws/commands/bedrock-runtime.ts',
  '@aws-sdk/client-bedrock-agent-runtime': 'lambdas/chat/aws/commands/bedrock-agent-runtime.ts',
};

const sdkCommandStandIns = {
  name: 'sdk-command-stand-ins',
  setup(b) {
    const filter = new RegExp(
      `^(${Object.keys(SDK_COMMAND_STAND_INS)
        .map((n) => n.replace(/[/.-]/g, '\\$&'))
        .join('|')})$`,
    );
    b.onResolve({ filter }, (args) =>
      args.importer.includes('/node_modules/') ? undefined : { path: join(root, SDK_COMMAND_STAND_INS[args.path]) },
    );
  },
};

/** The Lambda runtime the construct deploys (Runtime.NODEJS_24_X). */
export const TARGET = 'node24';

/**
 * Builds the bundles into `outRoot/<name>/`. With `cache`, a bundle whose inputs, options and toolchain are those of
 * its last build is left as it is (its result then has no metafile): `npm run synth` and `npm test` rebuild only
 * what changed.
 */
export async function buildBundles({ names = Object.keys(BUNDLES), outRoot = join(root, 'assets'), cache = false } = {}) {
  const results = {};
  for (const name of names) {
    const outdir = join(outRoot, name);
    const options = bundleOptions(name, outdir);
    // The plugin's own mapping is part of the key (its function is not serialisable).
    const key = buildKey(`lambda-${name}`, { ...options, plugins: SDK_COMMAND_STAND_INS }, fileURLToPath(import.meta.url));
    const stamp = cache && upToDate(`lambda-${name}`, key, outdir);
    if (stamp?.packages) {
      results[name] = { file: join(outdir, 'index.mjs'), bytes: codeBytes(outdir), packages: stamp.packages, cached: true };
      continue;
    }
    rmSync(outdir, { recursive: true, force: true });
    mkdirSync(outdir, { recursive: true });
    const { build } = await import('esbuild');
    const result = await build(options);
    // No CommonJS require() is left in what the bundles load (the SDK's clients are not bundled): ESM output has no
    // require, and esbuild's stand-in would throw at run time.
    const cjs = Object.keys(result.metafile.outputs).filter(
      (out) => out.endsWith('.mjs') && readFileSync(out, 'utf8').includes('Dynamic require of'),
    );
    if (cjs.length > 0) throw new Error(`${name}: ${cjs.join(', ')} call require(); bundle ESM code or shim require for it`);
    if (cache) writeStamp(`lambda-${name}`, key, outdir, Object.keys(result.metafile.inputs), { packages: packageSizes(result.metafile) });
    results[name] = { file: join(outdir, 'index.mjs'), bytes: codeBytes(outdir), metafile: result.metafile };
  }
  return results;
}

/** esbuild's options for one bundle. */
function bundleOptions(name, outdir) {
  return {
    entryPoints: { index: join(root, BUNDLES[name]) },
    outdir,
    // ESM chunks: code reached only through import() (the SDK's credential providers and protocol parts, the
    // STS client of an assumed role) goes to chunks/ and is read and evaluated when first imported, not at init. Without
    // splitting esbuild wraps each such module in a lazy function, and the single file is parsed whole.
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: TARGET,
    minify: true,
    sourcemap: 'external',
    sourcesContent: false,
    // The managed runtime's SDK copy is not pinned; ship the exact clients we test against.
    mainFields: ['module', 'main'],
    plugins: [sdkCommandStandIns],
    metafile: true,
    logLevel: 'warning',
  };
}

/** The bytes of a bundle's code: index.mjs and its chunks (source maps not counted). */
export function codeBytes(dir) {
  return readdirSync(dir, { recursive: true })
    .filter((file) => String(file).endsWith('.mjs'))
    .reduce((sum, file) => sum + statSync(join(dir, String(file))).size, 0);
}

/** Bytes each npm package (or the project's own code) contributes to a bundle (index.mjs and its chunks). */
export function packageSizes(metafile) {
  const byPackage = {};
  for (const [out, { inputs }] of Object.entries(metafile.outputs)) {
    if (!out.endsWith('.mjs')) continue;
    for (const [path, { bytesInOutput }] of Object.entries(inputs)) {
      const m = path.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
      const key = m ? m[1] : 'project';
      byPackage[key] = (byPackage[key] ?? 0) + bytesInOutput;
    }
  }
  return byPackage;
}

function report(results) {
  for (const [name, { file, bytes, metafile }] of Object.entries(results)) {
    console.log(`${name}: ${relative(root, file)} ${(bytes / 1024).toFixed(1)} KiB`);
    for (const [pkg, size] of Object.entries(packageSizes(metafile))
      .sort((a, b) => b[1] - a[1])
      .slice(0, 12)) {
      console.log(`  ${(size / 1024).toFixed(1).padStart(7)} KiB  ${pkg}`);
    }
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const outRoot = args.indexOf('--out-root');
  // The cache serves the repository's own assets/ only: --out-root and --report build afresh (--report needs the metafile;
  // --json reads each skipped bundle's package sizes from its stamp).
  const cache = outRoot < 0 && !args.includes('--report');
  const results = await buildBundles(outRoot >= 0 ? { outRoot: args[outRoot + 1] } : { cache });
  const cached = Object.keys(results).filter((name) => results[name].cached);
  if (cached.length > 0 && !args.includes('--json')) console.log(`lambdas: ${cached.join(', ')} unchanged (inputs as last built; --force rebuilds)`);
  if (args.includes('--report')) report(results);
  if (args.includes('--json')) {
    const summary = Object.fromEntries(
      Object.entries(results).map(([name, r]) => [name, { file: r.file, bytes: r.bytes, packages: r.packages ?? packageSizes(r.metafile) }]),
    );
    console.log(JSON.stringify({ bundles: BUNDLES, results: summary }));
  }
  const copyTo = args.indexOf('--copy-to');
  if (copyTo >= 0) cpSync(join(root, 'assets'), join(root, args[copyTo + 1]), { recursive: true });
}
