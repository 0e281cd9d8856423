#!/usr/bin/env tsx
/**
 * `npm run bench`: every deployed bundle (contract/bundles.json, run as test/support/bundle-profiles.ts says)
 * against a baseline served in the same run (test/bench/baseline/handler.mjs: one unbundled file, the SDK from
 * node_modules, three clients at init), on Node.js 24 (tools/node24) as Lambda runs them, with the Bedrock
 * emulator and dynalite over TLS and over plain HTTP. Every figure is measured interleaved: subject and baseline
 * alternate, so the machine's load hits both alike; ratios are subject / baseline.
 *
 *   size        the bundle's bytes; the baseline's: the source bytes it loads from node_modules
 *   cold        spawning a fresh runtime process (test/bench/lambda-shim.mjs) to the first byte of the
 *               answer's first token, for one request (median and p90 of --cold processes)
 *   warm        time to the first token's byte on a warm instance minus the emulator's own first-token time
 *               (its token delay), p50 and p99 of --warm requests
 *   per chunk   each later token: arrival at the client minus the moment the emulator sent it (p50, p99); the
 *               handler's share is the bundle's figure minus the baseline's
 *   rps         requests one warm instance completes per second, one at a time (as Lambda sends them)
 *   synth       `npm run synth` (bundle builds and `cdk synth` of every stage with cdk-nag), warm (nothing changed
 *               since the last synth), after a source, a construct and a stage setting change, and cold (every cache
 *               off, as in a fresh clone): tools/synth/measure.ts;
 *               test suite: `npm test` (both without a baseline)
 *
 * Budgets (TLS, Node 24; the run exits 1 when one is missed, unless --no-budgets): cold ≤ 0.5×, warm p50 ≤ 0.7×,
 * warm p99 ≤ 0.8×, handler per chunk p99 < 1 ms, synth (warm and after a change) < 10 s, test suite < 120 s.
 *
 *   npm run bench [-- --cold 21 --warm 500 --rps-seconds 3 --transport both|tls|http --bundles a,b
 *                     --short --no-budgets --skip-synth --skip-tests --json bench-results.json]
 * `--short` (CI): 3 cold, 20 warm, 0.5 s of rps, no test suite, no budgets: proves the bench still works.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import * as https from 'node:https';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { build } from 'esbuild';
import { CHAT_BUNDLES } from '../../contract/bundles';
import { startBedrockEmulator } from '../../tools/local/bedrock-emulator';
import { startDynalite } from '../../tools/local/dynamo';
import { startLocalJwtIssuer } from '../../tools/local/jwt-issuer';
import { createLocalTlsCertificate, writeTrustAnchor } from '../../tools/local/tls';
import { describeFigures, measureSynth } from '../../tools/synth/measure';
import { BUNDLE_PROFILES, type BundleProfile } from '../support/bundle-profiles';

const { node24, NODE24_VERSION } = require('../../tools/node24') as { node24: () => string; NODE24_VERSION: string };

const root = join(__dirname, '..', '..');
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'; // this process's admin client (tools on Node 20)
const { values } = parseArgs({
  options: {
    cold: { type: 'string' },
    warm: { type: 'string' },
    'rps-seconds': { type: 'string' },
    transport: { type: 'string', default: 'both' },
    bundles: { type: 'string' },
    short: { type: 'boolean', default: false },
    'no-budgets': { type: 'boolean', default: false },
    'skip-synth': { type: 'boolean', default: false },
    'skip-tests': { type: 'boolean', default: false },
    json: { type: 'string', default: join(root, 'bench-results.json') },
    node: { type: 'string' },
  },
});
const SHORT = values.short;
const COLD = Number(values.cold ?? (SHORT ? 3 : 21));
const WARM = Number(values.warm ?? (SHORT ? 20 : 500));
const RPS_SECONDS = Number(values['rps-seconds'] ?? (SHORT ? 0.5 : 3));
const ENFORCE = !SHORT && !values['no-budgets'];
const TRANSPORTS = values.transport === 'both' ? (['tls', 'http'] as const) : ([values.transport] as Array<'tls' | 'http'>);
const NODE = values.node ?? node24();
/** The emulator's pause before each token: the warm figure subtracts it (the emulator's own first-token time). */
const TOKEN_DELAY_MS = 2;
const TOKENS = 12;
/** Tokens that cannot be mistaken for one another (`w1q` is no prefix of `w10q`) nor for anything else in a response. */
const ANSWER = Array.from({ length: TOKENS }, (_, k) => `w${k}q`).join(' ');
const SHIM = join(__dirname, 'lambda-shim.mjs');
const BASELINE = join(__dirname, 'baseline', 'handler.mjs');

const BUDGETS = { coldRatio: 0.5, warmP50Ratio: 0.7, warmP99Ratio: 0.8, perChunkP99Ms: 1, synthMs: 10_000, testSuiteMs: 120_000 };

const quantile = (xs: number[], q: number): number => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
};
const median = (xs: number[]): number => quantile(xs, 0.5);

interface Subject {
  readonly bundle: string;
  readonly kind: 'bundle' | 'baseline';
  readonly file: string;
  readonly env: Record<string, string>;
  readonly profile: BundleProfile;
  token?: string;
}

/** The environment Lambda gives a function (no proxy, no profile files): the same for bundle and baseline. */
function lambdaEnv(extra: Record<string, string>): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    TZ: ':UTC',
    LANG: 'en_US.UTF-8',
    AWS_REGION: 'eu-west-1',
    AWS_DEFAULT_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'ASIABENCHMARKKEY0001',
    AWS_SECRET_ACCESS_KEY: 'benchmarkSecretAccessKey/0123456789abcdefg',
    AWS_SESSION_TOKEN: 'BenchmarkSessionToken',
    AWS_LAMBDA_FUNCTION_NAME: 'bench',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    ...extra,
  };
}

function event(subject: Subject): Record<string, unknown> {
  const { request: req, auth } = subject.profile;
  return {
    version: '2.0',
    rawPath: req.path,
    rawQueryString: '',
    headers: {
      'content-type': 'application/json',
      accept: 'text/event-stream',
      ...(auth === 'jwt' ? { authorization: `Bearer ${subject.token}` } : {}),
    },
    requestContext: {
      requestId: 'cold',
      http: { method: req.method, path: req.path, sourceIp: '203.0.113.10', userAgent: 'bench' },
      ...(auth === 'iam'
        ? {
            authorizer: {
              iam: {
                accessKey: 'AKIDBENCH',
                accountId: '123456789012',
                callerId: 'AIDABENCH',
                userArn: 'arn:aws:iam::123456789012:user/bench',
                userId: 'AIDABENCH',
              },
            },
          }
        : {}),
    },
    body: JSON.stringify(req.body),
    isBase64Encoded: false,
  };
}

/** One cold start: spawn → the first token's bytes on the response stream. */
function coldStart(subject: Subject): Promise<{ firstByte: number; init: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(NODE, [SHIM, 'once', subject.file], {
      env: { ...subject.env, BENCH_EVENT: JSON.stringify(event(subject)) },
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    });
    let firstByte = 0;
    let text = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (chunk: Buffer) => {
      if (firstByte) return;
      text += chunk.toString('latin1');
      if (text.includes('w0q')) firstByte = performance.now() - started;
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      const init = Number(stderr.match(/^init ([\d.]+)/m)?.[1]);
      if (code !== 0 || !firstByte)
        reject(new Error(`${subject.kind} ${subject.bundle}: cold start failed (exit ${code}): ${stderr}${text.slice(0, 300)}`));
      else resolve({ firstByte, init });
    });
  });
}

interface Warm {
  readonly subject: Subject;
  readonly child: ChildProcess;
  readonly url: string;
}

function startWarm(subject: Subject): Promise<Warm> {
  const child = spawn(NODE, [SHIM, 'serve', subject.file], {
    env: { ...subject.env, ...(subject.profile.auth === 'jwt' ? { BENCH_AUTH: 'none' } : {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      const match = out.match(/listening (\S+)/);
      if (match) {
        child.stdout!.off('data', onData);
        child.stdout!.resume(); // the handler's log lines
        resolve({ subject, child, url: match[1]! });
      }
    };
    child.stdout!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`${subject.kind} ${subject.bundle}: warm instance exited ${code}: ${stderr}`)));
  });
}

/** One request to a warm instance: when each token's bytes arrived (ms since the request was sent). */
function warmRequest(warm: Warm): Promise<{ started: number; arrivals: number[] }> {
  const { request: req, auth } = warm.subject.profile;
  const body = JSON.stringify(req.body);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const arrivals: number[] = [];
    let text = '';
    const r = request(
      new URL(req.path, warm.url),
      {
        method: req.method,
        headers: {
          'content-type': 'application/json',
          accept: 'text/event-stream',
          ...(auth === 'jwt' ? { authorization: `Bearer ${warm.subject.token}` } : {}),
        },
      },
      (res) => {
        res.on('data', (chunk: Buffer) => {
          const now = performance.now();
          text += chunk.toString('latin1');
          while (arrivals.length < TOKENS && text.includes(`w${arrivals.length}q`)) arrivals.push(now);
        });
        res.on('end', () =>
          arrivals.length === TOKENS
            ? resolve({ started, arrivals })
            : reject(new Error(`${warm.subject.kind} ${warm.subject.bundle}: ${arrivals.length} of ${TOKENS} tokens: ${text.slice(0, 300)}`)),
        );
        res.on('error', reject);
      },
    );
    r.on('error', reject);
    r.end(body);
  });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** The source bytes the baseline loads from node_modules (what a bundle replaces with one file). */
async function baselineBytes(): Promise<number> {
  const result = await build({
    entryPoints: [BASELINE],
    bundle: true,
    platform: 'node',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
    mainFields: ['module', 'main'],
  });
  return Object.values(result.metafile.inputs).reduce((sum, input) => sum + input.bytes, 0);
}

/** index.mjs and its chunks (source maps not counted). */
function directoryBytes(dir: string): number {
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((name) => name.endsWith('.mjs'))
    .reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
}

interface Figures {
  bytes: number;
  coldMs: number[];
  initMs: number[];
  warmMs: number[];
  perChunkMs: number[];
  rps: number;
}

interface Row {
  transport: string;
  bundle: string;
  bundleFigures: Summary;
  baselineFigures: Summary;
  ratios: { bytes: number; coldP50: number; coldP90: number; warmP50: number; warmP99: number; rps: number };
  handlerPerChunkMs: { p50: number; p99: number };
}

interface Summary {
  bytes: number;
  cold: { p50: number; p90: number; n: number };
  init: { p50: number };
  warm: { p50: number; p99: number; n: number };
  perChunk: { p50: number; p99: number; n: number };
  rps: number;
}

const summarise = (f: Figures): Summary => ({
  bytes: f.bytes,
  cold: { p50: median(f.coldMs), p90: quantile(f.coldMs, 0.9), n: f.coldMs.length },
  init: { p50: median(f.initMs) },
  warm: { p50: median(f.warmMs), p99: quantile(f.warmMs, 0.99), n: f.warmMs.length },
  perChunk: { p50: median(f.perChunkMs), p99: quantile(f.perChunkMs, 0.99), n: f.perChunkMs.length },
  rps: f.rps,
});

async function runTransport(transport: 'tls' | 'http', bundleFiles: Record<string, string>, baselineSize: number): Promise<Row[]> {
  const certificate = transport === 'tls' ? createLocalTlsCertificate() : undefined;
  const trust = certificate ? writeTrustAnchor(certificate, join(mkdtempSync(join(tmpdir(), 'bench-tls-')), 'ca.pem')) : undefined;
  let tokenSent: number[] = [];
  const emulator = await startBedrockEmulator({
    port: 0,
    tokenDelayMs: TOKEN_DELAY_MS,
    answer: ANSWER,
    agentAnswer: ANSWER,
    onToken: () => tokenSent.push(performance.now()),
    ...(certificate ? { tls: certificate } : {}),
  });
  const dynalite = await startDynalite({ port: 0, ...(certificate ? { tls: certificate } : {}) });
  const issuer = await startLocalJwtIssuer();
  const admin = new DynamoDBClient({
    endpoint: dynalite.url,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench' },
    ...(certificate ? { requestHandler: { httpsAgent: new https.Agent({ ca: certificate.cert }) } } : {}),
  });
  const subjects: Subject[] = [];
  const children: ChildProcess[] = [];
  try {
    const token = await issuer.sign({ sub: 'bench-user', email: 'bench-user@example.com' });
    for (const [bundle, file] of Object.entries(bundleFiles)) {
      const profile = BUNDLE_PROFILES[bundle];
      if (!profile) throw new Error(`no profile for bundle ${bundle}: add one to test/support/bundle-profiles.ts`);
      const env = lambdaEnv({
        ...(await profile.setUp(admin, { bedrock: emulator.url, dynamodb: dynalite.url, jwt: issuer }, `${transport}-${bundle}`)),
        ...(trust ? { NODE_EXTRA_CA_CERTS: trust } : {}),
      });
      subjects.push({ bundle, kind: 'bundle', file, env, profile, token }, { bundle, kind: 'baseline', file: BASELINE, env, profile, token });
    }
    const figures = new Map<Subject, Figures>(
      subjects.map((s) => [
        s,
        {
          bytes: s.kind === 'bundle' ? directoryBytes(join(s.file, '..')) : baselineSize,
          coldMs: [],
          initMs: [],
          warmMs: [],
          perChunkMs: [],
          rps: 0,
        },
      ]),
    );
    const progress = (what: string): void => {
      process.stderr.write(`[bench] ${transport}: ${what} (load ${loadavg()[0]!.toFixed(1)})\n`);
    };

    progress(`${COLD} cold starts × ${subjects.length} subjects`);
    for (let i = 0; i < COLD; i++) {
      for (const subject of subjects) {
        const { firstByte, init } = await coldStart(subject);
        figures.get(subject)!.coldMs.push(firstByte);
        figures.get(subject)!.initMs.push(init);
      }
    }

    progress(`${WARM} warm requests × ${subjects.length} subjects`);
    const warm: Warm[] = [];
    for (const subject of subjects) {
      const instance = await startWarm(subject);
      children.push(instance.child);
      warm.push(instance);
    }
    for (const instance of warm) for (let i = 0; i < 3; i++) await warmRequest(instance); // connections, lazy code
    for (let i = 0; i < WARM; i++) {
      for (const instance of warm) {
        tokenSent = [];
        const { started, arrivals } = await warmRequest(instance);
        const f = figures.get(instance.subject)!;
        f.warmMs.push(arrivals[0]! - started - TOKEN_DELAY_MS);
        for (let k = 1; k < TOKENS && k < tokenSent.length; k++) f.perChunkMs.push(arrivals[k]! - tokenSent[k]!);
      }
    }

    progress(`${RPS_SECONDS} s of back-to-back requests per subject, no token delay`);
    emulator.setTokenDelay(0);
    const busy = new Map<Subject, { ms: number; n: number }>(subjects.map((s) => [s, { ms: 0, n: 0 }]));
    const until = performance.now() + RPS_SECONDS * 1000 * subjects.length;
    while (performance.now() < until) {
      for (const instance of warm) {
        const t = performance.now();
        await warmRequest(instance);
        const b = busy.get(instance.subject)!;
        b.ms += performance.now() - t;
        b.n++;
      }
    }
    for (const [subject, b] of busy) figures.get(subject)!.rps = (b.n / b.ms) * 1000;

    const rows: Row[] = [];
    for (const bundle of Object.keys(bundleFiles)) {
      const mine = summarise(figures.get(subjects.find((s) => s.bundle === bundle && s.kind === 'bundle')!)!);
      const base = summarise(figures.get(subjects.find((s) => s.bundle === bundle && s.kind === 'baseline')!)!);
      rows.push({
        transport,
        bundle,
        bundleFigures: mine,
        baselineFigures: base,
        ratios: {
          bytes: mine.bytes / base.bytes,
          coldP50: mine.cold.p50 / base.cold.p50,
          coldP90: mine.cold.p90 / base.cold.p90,
          warmP50: mine.warm.p50 / base.warm.p50,
          warmP99: mine.warm.p99 / base.warm.p99,
          rps: mine.rps / base.rps,
        },
        handlerPerChunkMs: { p50: mine.perChunk.p50 - base.perChunk.p50, p99: mine.perChunk.p99 - base.perChunk.p99 },
      });
    }
    return rows;
  } finally {
    await Promise.all(children.map(stop));
    admin.destroy();
    await emulator.close();
    await dynalite.close();
    await issuer.close();
  }
}

function timed(command: string, args: string[], env: Record<string, string | undefined> = {}): number {
  const started = performance.now();
  const run = spawnSync(command, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${run.stderr}`);
  return performance.now() - started;
}

const ms = (x: number): string => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
const kib = (bytes: number): string => `${(bytes / 1024).toFixed(0)} KiB`;
const x = (r: number): string => `${r.toFixed(2)}×`;

function table(rows: Row[]): string {
  const lines = [
    '| transport | bundle | size (baseline) | cold p50 / p90 ms (baseline) | cold ratio | warm p50 / p99 ms (baseline) | warm ratio p50 / p99 | per chunk p50 / p99 ms (baseline) | handler per chunk p99 | rps (baseline) |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const b = r.bundleFigures;
    const a = r.baselineFigures;
    lines.push(
      `| ${r.transport} | \`${r.bundle}\` | ${kib(b.bytes)} (${kib(a.bytes)}) | ${ms(b.cold.p50)} / ${ms(b.cold.p90)} (${ms(a.cold.p50)} / ${ms(a.cold.p90)}) | ${x(r.ratios.coldP50)} | ` +
        `${ms(b.warm.p50)} / ${ms(b.warm.p99)} (${ms(a.warm.p50)} / ${ms(a.warm.p99)}) | ${x(r.ratios.warmP50)} / ${x(r.ratios.warmP99)} | ` +
        `${b.perChunk.p50.toFixed(2)} / ${b.perChunk.p99.toFixed(2)} (${a.perChunk.p50.toFixed(2)} / ${a.perChunk.p99.toFixed(2)}) | ${r.handlerPerChunkMs.p99.toFixed(2)} ms | ` +
        `${b.rps.toFixed(0)} (${a.rps.toFixed(0)}) |`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const loadBefore = loadavg();
  // The chat bundles: the knowledge base sync answers no request (it is fed by a queue).
  const names = values.bundles ? values.bundles.split(',') : [...CHAT_BUNDLES];
  // lambdas/build.mjs is plain ESM without types: the same build `npm run build:lambdas` makes.
  const { buildBundles } = (await import(pathToFileURL(join(root, 'lambdas', 'build.mjs')).href)) as {
    buildBundles(options: { names?: string[]; outRoot: string }): Promise<Record<string, { file: string }>>;
  };
  const built = await buildBundles({ names, outRoot: mkdtempSync(join(tmpdir(), 'bench-bundles-')) });
  const bundleFiles = Object.fromEntries(Object.entries(built).map(([name, b]) => [name, b.file]));
  const nodeVersion = spawnSync(NODE, ['--version'], { encoding: 'utf8' }).stdout.trim();
  process.stderr.write(
    `[bench] ${nodeVersion} (${NODE === node24() ? `tools/node24, ${NODE24_VERSION}` : NODE}), ${cpus().length} cores, load ${loadBefore.map((l) => l.toFixed(1)).join(' ')}\n`,
  );
  const baselineSize = await baselineBytes();
  const rows: Row[] = [];
  for (const transport of TRANSPORTS) rows.push(...(await runTransport(transport, bundleFiles, baselineSize)));

  // The commands a developer runs: `npm run synth` (its bundle and page builds included), cold and warm
  // (tools/synth/measure.ts), and `npm test` (its pretest included).
  const synth = values['skip-synth'] ? undefined : measureSynth((label) => mkdtempSync(join(tmpdir(), `bench-synth-${label}-`)));
  const synthMs = synth?.warm.wallMs;
  const testSuiteMs = SHORT || values['skip-tests'] ? undefined : timed('npm', ['test', '--', '--ci', '--silent']);
  const loadAfter = loadavg();

  const misses: string[] = [];
  for (const r of rows.filter((row) => row.transport === 'tls')) {
    if (r.ratios.coldP50 > BUDGETS.coldRatio) misses.push(`${r.bundle}: cold ${x(r.ratios.coldP50)} > ${BUDGETS.coldRatio}×`);
    if (r.ratios.warmP50 > BUDGETS.warmP50Ratio) misses.push(`${r.bundle}: warm p50 ${x(r.ratios.warmP50)} > ${BUDGETS.warmP50Ratio}×`);
    if (r.ratios.warmP99 > BUDGETS.warmP99Ratio) misses.push(`${r.bundle}: warm p99 ${x(r.ratios.warmP99)} > ${BUDGETS.warmP99Ratio}×`);
    if (r.handlerPerChunkMs.p99 >= BUDGETS.perChunkP99Ms)
      misses.push(`${r.bundle}: handler per chunk p99 ${r.handlerPerChunkMs.p99.toFixed(2)} ms ≥ ${BUDGETS.perChunkP99Ms} ms`);
  }
  // The synth a developer waits for: nothing changed, a source edited, a stage setting changed (a fresh clone's
  // first synth, the cold case, is reported but not budgeted).
  if (synth !== undefined) {
    const waited = {
      warm: synth.warm,
      'after a source change': synth.sourceChanged,
      'after a construct change': synth.constructChanged,
      'after a setting change': synth.settingChanged,
    };
    for (const [label, timing] of Object.entries(waited))
      if (timing.wallMs > BUDGETS.synthMs) misses.push(`synth ${label} ${ms(timing.wallMs)} ms > ${BUDGETS.synthMs} ms`);
  }
  if (testSuiteMs !== undefined && testSuiteMs > BUDGETS.testSuiteMs) misses.push(`test suite ${ms(testSuiteMs)} ms > ${BUDGETS.testSuiteMs} ms`);

  console.log(
    `${nodeVersion}, ${cpus().length} cores, load ${loadBefore[0]!.toFixed(1)} → ${loadAfter[0]!.toFixed(1)}; ${COLD} cold, ${WARM} warm requests per subject, ` +
      `${TOKENS} tokens at ${TOKEN_DELAY_MS} ms; baseline: test/bench/baseline/handler.mjs`,
  );
  console.log(table(rows));
  console.log(
    `synth of all stages: ${synth === undefined ? 'skipped' : describeFigures(synth)}; test suite: ${testSuiteMs === undefined ? 'skipped' : `${(testSuiteMs / 1000).toFixed(0)} s`}`,
  );
  writeFileSync(
    values.json,
    `${JSON.stringify({ node: nodeVersion, cores: cpus().length, load: { before: loadBefore, after: loadAfter }, settings: { cold: COLD, warm: WARM, rpsSeconds: RPS_SECONDS, tokens: TOKENS, tokenDelayMs: TOKEN_DELAY_MS }, budgets: BUDGETS, rows, synthMs, synth, testSuiteMs, misses, enforced: ENFORCE }, null, 2)}\n`,
  );
  console.log(`JSON: ${values.json}`);
  if (misses.length > 0) {
    console.log(`${ENFORCE ? 'Budgets missed' : 'Budgets missed (not enforced)'}:\n  ${misses.join('\n  ')}`);
    if (ENFORCE) process.exitCode = 1;
  } else {
    console.log(ENFORCE ? 'All budgets met.' : 'All budgets met (not enforced).');
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
