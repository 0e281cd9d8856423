/**
 * The assembly cache: a synthesis that passed is recorded with its inputs, and a run with exactly those inputs gets
 * that assembly written into its output directory instead of synthesizing; any changed input synthesizes again.
 * A small app with one directory asset stands in for the project's (bin/app.ts records only after `app.synth()`
 * returned, so a synthesis that failed a gate is never recorded).
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, CfnOutput, Stack, Stage } from 'aws-cdk-lib';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { AssemblyCacheProps, recordAssembly, restoreAssembly, templatesMayDiffer } from '../../../tools/synth/assembly-cache';

const work = mkdtempSync(path.join(tmpdir(), 'assembly-cache-'));
const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

/** A project: a file the app loads, an asset directory, and a cache directory of its own. */
function project(): { root: string; directory: string; module: string; assetDir: string } {
  const root = mkdtempSync(path.join(work, 'project-'));
  const module = path.join(root, 'settings.json');
  writeFileSync(module, '{ "bucketName": "one" }\n');
  const assetDir = path.join(root, 'assets', 'site');
  mkdirSync(assetDir, { recursive: true });
  writeFileSync(path.join(assetDir, 'index.html'), '<h1>one</h1>\n');
  return { root, directory: path.join(root, '.cache', 'synth'), module, assetDir };
}

/** Synthesizes the small app into a new output directory, as the CLI's app process would, and records it. */
function synthesize(p: ReturnType<typeof project>): { outdir: string; props: AssemblyCacheProps } {
  const outdir = mkdtempSync(path.join(work, 'out-'));
  const props = { directory: p.directory, root: p.root, outdir, modules: [p.module] };
  const settings = JSON.parse(readFileSync(p.module, 'utf8')) as { bucketName: string };
  const app = new App({ outdir, builtinCloudFormationValidation: false });
  const stack = new Stack(new Stage(app, 'dev'), 'Site');
  const asset = new s3assets.Asset(stack, 'Page', { path: p.assetDir });
  new CfnOutput(stack, 'Where', { value: `${settings.bucketName}/${asset.s3ObjectKey}` });
  app.synth();
  recordAssembly(app.node.findAll(), props);
  return { outdir, props };
}

/** Every file under `dir`, relative path → content. */
function files(dir: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(dir, { recursive: true })
      .map(String)
      .filter((f) => statSync(path.join(dir, f)).isFile())
      .sort()
      .map((f) => [f, readFileSync(path.join(dir, f), 'utf8')]),
  );
}

test('a run with the inputs of a recorded synthesis gets its assembly, byte for byte, assets included', () => {
  const p = project();
  const { outdir } = synthesize(p);
  const fresh = mkdtempSync(path.join(work, 'out-'));
  expect(restoreAssembly({ directory: p.directory, root: p.root, outdir: fresh })).toBe(true);
  expect(files(fresh)).toEqual(files(outdir));
  expect(Object.keys(files(fresh))).toEqual(
    expect.arrayContaining(['manifest.json', expect.stringMatching(/^assembly-dev\/devSite\w+\.template\.json$/)]),
  );
});

test('a changed source file, asset file or context synthesizes again', () => {
  const p = project();
  synthesize(p);
  const again = (): boolean => restoreAssembly({ directory: p.directory, root: p.root, outdir: mkdtempSync(path.join(work, 'out-')) });
  expect(again()).toBe(true);

  writeFileSync(p.module, '{ "bucketName": "two" }\n');
  expect(again()).toBe(false);
  synthesize(p);
  expect(again()).toBe(true);

  writeFileSync(path.join(p.assetDir, 'index.html'), '<h1>two</h1>\n');
  expect(again()).toBe(false);
  synthesize(p);
  expect(again()).toBe(true);

  writeFileSync(path.join(p.assetDir, 'new.css'), 'h1 {}\n');
  expect(again()).toBe(false);
  rmSync(path.join(p.assetDir, 'new.css'));
  expect(again()).toBe(true);

  process.env.CDK_CONTEXT_JSON = JSON.stringify({ stages: { dev: {} } });
  expect(again()).toBe(false);
  process.env.CDK_DEFAULT_ACCOUNT = '111122223333';
  expect(again()).toBe(false);
});

test('the output paths the CLI chooses do not matter; an output directory is needed', () => {
  const p = project();
  synthesize(p);
  process.env.CDK_ERROR_FILE = path.join(work, 'error.txt');
  process.env.CDK_OUTDIR = mkdtempSync(path.join(work, 'out-'));
  expect(restoreAssembly({ directory: p.directory, root: p.root })).toBe(true);
  delete process.env.CDK_OUTDIR;
  expect(restoreAssembly({ directory: p.directory, root: p.root })).toBe(false);
});

test('SYNTH_CACHE=off and CFN_VALIDATE_CACHE=off always synthesize and record nothing', () => {
  for (const [name, value] of [
    ['SYNTH_CACHE', 'off'],
    ['CFN_VALIDATE_CACHE', 'off'],
  ]) {
    const p = project();
    process.env[name] = value;
    synthesize(p);
    expect(() => readdirSync(p.directory)).toThrow();
    delete process.env[name];
    synthesize(p);
    process.env[name] = value;
    expect(restoreAssembly({ directory: p.directory, root: p.root, outdir: mkdtempSync(path.join(work, 'out-')) })).toBe(false);
    delete process.env[name];
  }
});

test('a staged asset already in the output directory is kept; a missing one is written from the record', () => {
  const p = project();
  const { outdir } = synthesize(p);
  const staged = readdirSync(outdir).find((f) => f.startsWith('asset.')) as string;
  writeFileSync(path.join(outdir, staged, 'marker'), 'kept');
  expect(restoreAssembly({ directory: p.directory, root: p.root, outdir })).toBe(true);
  expect(readFileSync(path.join(outdir, staged, 'marker'), 'utf8')).toBe('kept');
  rmSync(path.join(outdir, staged), { recursive: true });
  expect(restoreAssembly({ directory: p.directory, root: p.root, outdir })).toBe(true);
  expect(readdirSync(path.join(outdir, staged))).toEqual(['index.html']);
});

describe('templatesMayDiffer: whether a run the cache cannot serve may make other templates than the last synthesis', () => {
  /** The small project with a TypeScript source among the files the app loaded, synthesized and recorded once. */
  function recordedWithSource(): { p: ReturnType<typeof project>; source: string; props: AssemblyCacheProps } {
    const p = project();
    const source = path.join(p.root, 'site.ts');
    writeFileSync(source, '// The bucket.\nexport const bucketName: string = "one";\n');
    const outdir = mkdtempSync(path.join(work, 'out-'));
    const props = { directory: p.directory, root: p.root, outdir, modules: [p.module, source] };
    const app = new App({ outdir, builtinCloudFormationValidation: false });
    new s3assets.Asset(new Stack(new Stage(app, 'dev'), 'Site'), 'Page', { path: p.assetDir });
    app.synth();
    recordAssembly(app.node.findAll(), props);
    return { p, source, props };
  }

  test('no: only comments, layout or types of a TypeScript source changed', () => {
    const { source, props } = recordedWithSource();
    writeFileSync(source, '/** The site bucket, renamed in a comment. */\nexport   const bucketName = "one"; // no type\n');
    expect(restoreAssembly(props)).toBe(false);
    expect(templatesMayDiffer(props)).toBe(false);
  });

  test("yes: a TypeScript source's code, another input, an asset or the context changed", () => {
    const { p, source, props } = recordedWithSource();
    const original = readFileSync(source);
    writeFileSync(source, 'export const bucketName: string = "two";\n');
    expect(templatesMayDiffer(props)).toBe(true);
    writeFileSync(source, original);
    expect(templatesMayDiffer(props)).toBe(false);

    writeFileSync(p.module, '{ "bucketName": "one" }\n\n');
    expect(templatesMayDiffer(props)).toBe(true);
    writeFileSync(p.module, '{ "bucketName": "one" }\n');

    writeFileSync(path.join(p.assetDir, 'index.html'), '<h1>two</h1>\n');
    expect(templatesMayDiffer(props)).toBe(true);
    writeFileSync(path.join(p.assetDir, 'index.html'), '<h1>one</h1>\n');

    process.env.CDK_CONTEXT_JSON = JSON.stringify({ stages: { dev: { requestsPerMinute: 7 } } });
    expect(templatesMayDiffer(props)).toBe(true);
    delete process.env.CDK_CONTEXT_JSON;
    expect(templatesMayDiffer(props)).toBe(false);
  });

  test('yes: nothing recorded, a source deleted, or caching off', () => {
    const { source, props } = recordedWithSource();
    expect(templatesMayDiffer(props)).toBe(false);
    expect(templatesMayDiffer({ ...props, directory: mkdtempSync(path.join(work, 'empty-')) })).toBe(true);
    process.env.SYNTH_CACHE = 'off';
    expect(templatesMayDiffer(props)).toBe(true);
    delete process.env.SYNTH_CACHE;
    rmSync(source);
    expect(templatesMayDiffer(props)).toBe(true);
  });
});
