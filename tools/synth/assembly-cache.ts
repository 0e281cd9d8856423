import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

/**
 * The cloud assembly of the last `cdk synth` that passed, reused while nothing it was made from changed.
 *
 * `cdk synth` of every stage builds the construct tree, runs every cdk-nag pack and the CloudFormation validation and
 * writes the templates: 7 to 20 s of CPU for an assembly that, when no source changed, is byte for byte the last
 * one. A synthesis that passed (the app exited normally: no nag finding, no failed check, no error) is recorded
 * with everything it was made from:
 * - every project file the app loaded (its TypeScript sources, `contract/` data, this file), `tsconfig.json`, and
 *   the installed dependencies as `package-lock.json` and `node_modules/.package-lock.json` state them;
 * - the content of every asset directory or file it staged from the project (the Lambda bundles, the chat page);
 * - the context the CLI hands the app (`CDK_CONTEXT_JSON`: `cdk.json`, `cdk.context.json`, `-c` options), every
 *   other `CDK_*`/`JSII_*` variable but the output paths, the app's arguments, Node's version and platform.
 * The next run whose inputs match all of these in every point writes that assembly into its output directory
 * instead of synthesizing (asset directories already there are kept, as aws-cdk-lib keeps them) and exits; any
 * difference runs the whole app with every gate. A failed synthesis is never recorded, so a finding is reported on
 * every run until fixed. `SYNTH_CACHE=off` (or `CFN_VALIDATE_CACHE=off`) always synthesizes.
 *
 * Stored in `.cache/synth/`: one folder per recorded assembly (the last few) with a copy of the TypeScript sources
 * it was made from (`templatesMayDiffer`), and the staged assets they share.
 */
const ROOT = path.resolve(__dirname, '..', '..');
export const ASSEMBLY_CACHE = path.join(ROOT, '.cache', 'synth');
const KEEP = 4;

/** Environment variables that only say where the CLI wants files: the same assembly goes to any of them. */
const LOCATIONS = new Set(['CDK_OUTDIR', 'CDK_ERROR_FILE', 'CDK_PERF_COUNTERS_FILE', 'CONTEXT_OVERFLOW_LOCATION_ENV']);

export interface AssemblyCacheProps {
  /** Where assemblies are recorded. Default: `.cache/synth/` of the repository. */
  readonly directory?: string;
  /** The output directory of the synthesis. Default: `CDK_OUTDIR`, as the CDK CLI sets it (no caching without it). */
  readonly outdir?: string;
  /** The project's root: files under it (outside `node_modules`) are recorded by content. Default: this repository. */
  readonly root?: string;
  /** The files the app loaded, for `recordAssembly`. Default: every module in Node's `require.cache`. */
  readonly modules?: readonly string[];
}

interface Stamp {
  /** SHA-256 of the run's facts: environment, context, arguments, Node. */
  readonly facts: string;
  /** Project-relative path → SHA-256 of every file the synthesis depended on. */
  readonly files: Record<string, string | null>;
  /**
   * Staged asset entry (`asset.<hash>`) → its source, project-relative, and the source's digest. No digest for a
   * source inside `node_modules` (aws-cdk-lib's own handlers and layers: the lock files cover them) nor outside the
   * project (content the app itself wrote to a temporary directory, such as a deployment's generated files: the
   * app's sources and context decide it); the assembly keeps a copy of every staged asset.
   */
  readonly assets: Record<string, { readonly source: string; readonly digest?: string }>;
  /** The assembly's own files (manifests, templates, tree, reports), relative to the output directory. */
  readonly outputs: string[];
}

/** A staged asset as aws-cdk-lib's `AssetStaging` exposes it. */
interface StagedAsset {
  readonly sourcePath: string;
  readonly absoluteStagedPath: string;
}

function sha256(bytes: string | Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function fileDigest(file: string): string | null {
  try {
    return sha256(readFileSync(file));
  } catch {
    return null;
  }
}

/** One SHA-256 over a file, or over every file under a directory (relative paths and contents, sorted); null when missing. */
export function contentDigest(source: string): string | null {
  let files: string[];
  try {
    if (!statSync(source).isDirectory()) return fileDigest(source);
    files = readdirSync(source, { recursive: true })
      .map(String)
      .filter((file) => statSync(path.join(source, file)).isFile())
      .sort();
  } catch {
    return null;
  }
  const hash = createHash('sha256');
  for (const file of files)
    hash
      .update(`${file}\0`)
      .update(readFileSync(path.join(source, file)))
      .update('\0');
  return hash.digest('hex');
}

function enabled(): boolean {
  return process.env.SYNTH_CACHE !== 'off' && process.env.CFN_VALIDATE_CACHE !== 'off';
}

function outdirOf(props: AssemblyCacheProps): string | undefined {
  const outdir = props.outdir ?? process.env.CDK_OUTDIR;
  return outdir ? path.resolve(outdir) : undefined;
}

/** The run's facts: what, besides files, decides the assembly. */
function factsDigest(root: string): string {
  const env = Object.entries(process.env)
    .filter(([name]) => /^(CDK_|JSII_)/.test(name) && !LOCATIONS.has(name))
    .sort(([a], [b]) => (a < b ? -1 : 1));
  const overflow = process.env.CONTEXT_OVERFLOW_LOCATION_ENV;
  return sha256(
    JSON.stringify({
      env,
      overflowContext: overflow ? fileDigest(overflow) : null,
      main: process.argv[1] ? path.relative(root, path.resolve(process.argv[1])) : null,
      args: process.argv.slice(2),
      execArgv: process.execArgv,
      node: process.version,
      platform: process.platform,
      arch: process.arch,
    }),
  );
}

/**
 * Files every synthesis depends on besides the modules it loads: the compiler settings, the installed dependencies
 * and the CloudFormation validation's thread (loaded by its worker, so not in this thread's `require.cache`).
 */
const ALWAYS = [
  'tsconfig.json',
  'package-lock.json',
  path.join('node_modules', '.package-lock.json'),
  path.join('tools', 'synth', 'validation-thread.cjs'),
];

function readStamps(directory: string): { dir: string; stamp: Stamp }[] {
  let entries: string[];
  try {
    entries = readdirSync(directory).filter((name) => name.startsWith('assembly-'));
  } catch {
    return [];
  }
  const stamps: { dir: string; stamp: Stamp; mtime: number }[] = [];
  for (const name of entries) {
    const dir = path.join(directory, name);
    try {
      const file = path.join(dir, 'stamp.json');
      stamps.push({ dir, stamp: JSON.parse(readFileSync(file, 'utf8')) as Stamp, mtime: statSync(file).mtimeMs });
    } catch {
      // Being written, or damaged: not a candidate.
    }
  }
  return stamps.sort((a, b) => b.mtime - a.mtime);
}

function matches(stamp: Stamp, facts: string, root: string): boolean {
  if (stamp.facts !== facts) return false;
  for (const [file, digest] of Object.entries(stamp.files)) if (fileDigest(path.join(root, file)) !== digest) return false;
  for (const { source, digest } of Object.values(stamp.assets)) {
    if (digest !== undefined && contentDigest(path.resolve(root, source)) !== digest) return false;
  }
  return true;
}

/**
 * Writes the recorded assembly of a synthesis with exactly this run's inputs into the output directory; true when
 * it did (the app then has nothing to do), false when the app must synthesize (no such record, caching off, no
 * output directory).
 */
export function restoreAssembly(props: AssemblyCacheProps = {}): boolean {
  const outdir = outdirOf(props);
  if (!enabled() || !outdir) return false;
  const directory = props.directory ?? ASSEMBLY_CACHE;
  const root = props.root ?? ROOT;
  const facts = factsDigest(root);
  const hit = readStamps(directory).find(({ stamp }) => matches(stamp, facts, root));
  if (!hit) return false;
  try {
    for (const file of hit.stamp.outputs) {
      mkdirSync(path.dirname(path.join(outdir, file)), { recursive: true });
      copyFileSync(path.join(hit.dir, 'out', file), path.join(outdir, file));
    }
    for (const entry of Object.keys(hit.stamp.assets)) {
      const staged = path.join(outdir, entry);
      if (!existsSync(staged)) cpSync(path.join(directory, 'assets', entry), staged, { recursive: true });
    }
  } catch {
    // A record pruned or damaged while being read: synthesize.
    return false;
  }
  return true;
}

function isTypeScript(file: string): boolean {
  return file.endsWith('.ts');
}

/** A TypeScript source without its comments, layout and types: what runs (esbuild, which the project builds with). */
function codeOf(source: string): string {
  const { transformSync } = require('esbuild') as typeof import('esbuild');
  return transformSync(source, { loader: 'ts', minifyWhitespace: true, legalComments: 'none' }).code;
}

/**
 * Whether this run may synthesize templates other than those of the newest recorded synthesis with this run's
 * facts, for a run that `restoreAssembly` could not serve. False only when every input that differs is a
 * TypeScript source whose code is unchanged (comments, layout or types edited): such a run writes new stack
 * traces into the metadata, but the same templates, so the CloudFormation validation will find all of them
 * already passed. True when caching is off, nothing is recorded for these facts, or anything else differs. A
 * guess that only decides where the validation engine starts (bin/app.ts); what is validated is decided by the
 * validation cache, template by template.
 */
export function templatesMayDiffer(props: AssemblyCacheProps = {}): boolean {
  if (!enabled()) return true;
  const directory = props.directory ?? ASSEMBLY_CACHE;
  const root = props.root ?? ROOT;
  const facts = factsDigest(root);
  const last = readStamps(directory).find(({ stamp }) => stamp.facts === facts);
  if (!last) return true;
  for (const { source, digest } of Object.values(last.stamp.assets)) {
    if (digest !== undefined && contentDigest(path.resolve(root, source)) !== digest) return true;
  }
  for (const [file, digest] of Object.entries(last.stamp.files)) {
    const now = fileDigest(path.join(root, file));
    if (now === digest) continue;
    if (now === null || !isTypeScript(file)) return true;
    try {
      const before = readFileSync(path.join(last.dir, 'sources', file), 'utf8');
      if (codeOf(before) !== codeOf(readFileSync(path.join(root, file), 'utf8'))) return true;
    } catch {
      // No copy of the source recorded, or a source esbuild cannot parse (the synthesis will say why).
      return true;
    }
  }
  return false;
}

function isStagedAsset(construct: unknown): construct is StagedAsset {
  const c = construct as Partial<StagedAsset>;
  return typeof c.sourcePath === 'string' && typeof c.absoluteStagedPath === 'string';
}

/** Every file under `dir`, relative to it, skipping the staged assets. */
function outputFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((file) => !file.split(path.sep)[0].startsWith('asset.') && statSync(path.join(dir, file)).isFile())
    .sort();
}

/**
 * Records the assembly the app just synthesized (call it after `app.synth()` returned: every gate passed), with
 * the files the process loaded, the sources of the assets it staged and the run's facts. `constructs` are the
 * app's constructs (`app.node.findAll()`), among them its asset stagings. Nothing is recorded when caching is off
 * or the output directory is not known.
 */
export function recordAssembly(constructs: readonly unknown[], props: AssemblyCacheProps = {}): void {
  const outdir = outdirOf(props);
  if (!enabled() || !outdir) return;
  const directory = props.directory ?? ASSEMBLY_CACHE;
  const root = props.root ?? ROOT;

  const loaded = (props.modules ?? Object.keys(require.cache)).filter(
    (file) => !file.includes(`${path.sep}node_modules${path.sep}`) && file.startsWith(root + path.sep),
  );
  const files: Record<string, string | null> = {};
  for (const file of [...loaded.map((f) => path.relative(root, f)), ...ALWAYS].sort()) files[file] = fileDigest(path.join(root, file));

  const assets: Stamp['assets'] = {};
  for (const staged of constructs.filter(isStagedAsset)) {
    const entry = path.relative(outdir, staged.absoluteStagedPath);
    if (entry.startsWith('..') || path.isAbsolute(entry) || entry.includes(path.sep)) continue;
    const source = path.resolve(staged.sourcePath);
    if (source.includes(`${path.sep}node_modules${path.sep}`) || !source.startsWith(root + path.sep)) {
      assets[entry] = { source: path.relative(root, source) };
      continue;
    }
    const digest = contentDigest(source);
    if (digest === null) return;
    assets[entry] = { source: path.relative(root, source), digest };
  }

  const stamp: Stamp = { facts: factsDigest(root), files, assets, outputs: outputFiles(outdir) };
  const id = sha256(JSON.stringify(stamp)).slice(0, 16);
  mkdirSync(directory, { recursive: true });
  const assetStore = path.join(directory, 'assets');
  for (const entry of Object.keys(assets)) storeOnce(path.join(outdir, entry), path.join(assetStore, entry));

  const final = path.join(directory, `assembly-${id}`);
  const temporary = path.join(directory, `.tmp-${process.pid}-${id}`);
  rmSync(temporary, { recursive: true, force: true });
  for (const file of stamp.outputs) {
    mkdirSync(path.dirname(path.join(temporary, 'out', file)), { recursive: true });
    copyFileSync(path.join(outdir, file), path.join(temporary, 'out', file));
  }
  // The TypeScript sources as they were, so that a later run can tell an edit of comments from one of code.
  for (const file of Object.keys(files).filter(isTypeScript)) {
    mkdirSync(path.dirname(path.join(temporary, 'sources', file)), { recursive: true });
    copyFileSync(path.join(root, file), path.join(temporary, 'sources', file));
  }
  writeFileSync(path.join(temporary, 'stamp.json'), `${JSON.stringify(stamp)}\n`);
  rmSync(final, { recursive: true, force: true });
  try {
    renameSync(temporary, final);
  } catch {
    // Another process recorded the same assembly at the same moment.
    rmSync(temporary, { recursive: true, force: true });
  }
  prune(directory);
}

/** Copies a staged asset into the store unless it is there: its name is its content hash, as aws-cdk-lib names it. */
function storeOnce(staged: string, stored: string): void {
  if (existsSync(stored) || !existsSync(staged)) return;
  const temporary = `${stored}.tmp-${process.pid}`;
  mkdirSync(path.dirname(stored), { recursive: true });
  cpSync(staged, temporary, { recursive: true });
  try {
    renameSync(temporary, stored);
  } catch {
    rmSync(temporary, { recursive: true, force: true });
  }
}

/** Keeps the newest records and the assets they use. */
function prune(directory: string): void {
  const stamps = readStamps(directory);
  for (const { dir } of stamps.slice(KEEP)) rmSync(dir, { recursive: true, force: true });
  const used = new Set(stamps.slice(0, KEEP).flatMap(({ stamp }) => Object.keys(stamp.assets)));
  const assetStore = path.join(directory, 'assets');
  let stored: string[] = [];
  try {
    stored = readdirSync(assetStore);
  } catch {
    return;
  }
  for (const entry of stored)
    if (!used.has(entry) && !entry.includes('.tmp-')) rmSync(path.join(assetStore, entry), { recursive: true, force: true });
}
