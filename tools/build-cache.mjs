import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Skips an esbuild build whose inputs did not change (lambdas/build.mjs, web/build.mjs), the way `make` would but by
 * content: a build records a stamp in `.cache/build/<name>.json` with
 * - a key: the build's own options, esbuild's version, the build script and package-lock.json (a dependency
 *   update or a changed option rebuilds everything);
 * - the SHA-256 of every input file esbuild read (its metafile), so an edited, added-to (through an edited
 *   import) or deleted source rebuilds;
 * - the SHA-256 of the output directory, so an output changed or removed by hand rebuilds.
 * A stamp that does not match in every point is a miss; `--force` (or BUILD_CACHE=off) always rebuilds.
 */
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const STAMPS = join(root, '.cache', 'build');

function sha256(bytes) {
  return createHash('sha256').update(bytes).digest('hex');
}

const digests = new Map();

/** The file's SHA-256, or null when it cannot be read (once per process: the bundles share most SDK inputs). */
function fileDigest(file) {
  let digest = digests.get(file);
  if (digest === undefined) {
    try {
      digest = sha256(readFileSync(file));
    } catch {
      digest = null;
    }
    digests.set(file, digest);
  }
  return digest;
}

/** One SHA-256 over every file under `dir` (relative paths and contents, in sorted order); null when missing. */
export function directoryDigest(dir) {
  let files;
  try {
    files = readdirSync(dir, { recursive: true })
      .map(String)
      .filter((file) => statSync(join(dir, file)).isFile())
      .sort();
  } catch {
    return null;
  }
  const hash = createHash('sha256');
  for (const file of files)
    hash
      .update(`${file}\0`)
      .update(readFileSync(join(dir, file)))
      .update('\0');
  return hash.digest('hex');
}

/** The key every stamp carries: what the build is, besides its input files. */
export function buildKey(name, options, script) {
  const esbuild = JSON.parse(readFileSync(join(root, 'node_modules', 'esbuild', 'package.json'), 'utf8')).version;
  return sha256(JSON.stringify({ name, options, esbuild, script: fileDigest(script), lock: fileDigest(join(root, 'package-lock.json')) }));
}

function disabled() {
  return process.argv.includes('--force') || process.env.BUILD_CACHE === 'off';
}

/** The stamp (truthy) when the build `name` last made `outdir` from exactly these inputs with this key; else false. */
export function upToDate(name, key, outdir) {
  if (disabled()) return false;
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(join(STAMPS, `${name}.json`), 'utf8'));
  } catch {
    return false;
  }
  if (stamp.key !== key || stamp.outdir !== relative(root, outdir)) return false;
  for (const [file, digest] of Object.entries(stamp.inputs)) if (fileDigest(join(root, file)) !== digest) return false;
  return directoryDigest(outdir) === stamp.output && stamp;
}

/**
 * Records the build: `inputs` are esbuild's metafile input paths (relative to the working directory esbuild ran
 * in) plus any file copied beside the output. Inputs that are not files (esbuild's virtual modules) are skipped.
 * `facts` are kept in the stamp for a later run that skips the build (what the build reported about its output).
 */
export function writeStamp(name, key, outdir, inputs, facts = {}) {
  const digests = {};
  for (const input of inputs) {
    const file = resolve(input);
    const digest = fileDigest(file);
    if (digest !== null) digests[relative(root, file)] = digest;
  }
  mkdirSync(STAMPS, { recursive: true });
  writeFileSync(
    join(STAMPS, `${name}.json`),
    `${JSON.stringify({ ...facts, key, outdir: relative(root, outdir), output: directoryDigest(outdir), inputs: digests })}\n`,
  );
}
