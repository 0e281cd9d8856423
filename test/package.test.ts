/**
 * The construct library as another team installs it: `lib/` compiled the way `npm run build` compiles it
 * and the prebuilt bundles beside it, loaded from a directory outside this repository by plain `node`
 * (no TypeScript, no esbuild, no access to `lambdas/`), with only aws-cdk-lib and constructs resolvable.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..');

test('the built package synthesizes every construct in a consumer app outside the repository', () => {
  const pkg = mkdtempSync(path.join(tmpdir(), 'bedrock-chat-package-'));
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', path.join(pkg, 'dist'), '--sourceMap', 'false', '--declaration', 'false'], { stdio: 'pipe' });
  execFileSync(process.execPath, [path.join(ROOT, 'lambdas/build.mjs'), '--out-root', path.join(pkg, 'dist/assets')], { stdio: 'pipe' });
  writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'bedrock-chat-constructs', main: 'dist/lib/index.js' }));

  // Only the peer dependencies are resolvable: a node_modules holding just aws-cdk-lib and constructs
  // (links to this repository's copies; their own dependencies resolve from their real paths).
  const consumer = mkdtempSync(path.join(tmpdir(), 'bedrock-chat-consumer-'));
  mkdirSync(path.join(consumer, 'node_modules'));
  for (const dep of ['aws-cdk-lib', 'constructs']) symlinkSync(path.join(ROOT, 'node_modules', dep), path.join(consumer, 'node_modules', dep), 'dir');
  cpSync(pkg, path.join(consumer, 'node_modules', 'bedrock-chat-constructs'), { recursive: true });
  writeFileSync(path.join(consumer, 'app.js'), `
    const { App, Stack } = require('aws-cdk-lib');
    const cognito = require('aws-cdk-lib/aws-cognito');
    const c = require('bedrock-chat-constructs');
    const app = new App({ outdir: ${JSON.stringify(path.join(consumer, 'cdk.out'))} });
    const stack = new Stack(app, 'Consumer', { env: { account: '111122223333', region: 'eu-west-1' } });
    const models = { haiku: c.BedrockModel.inferenceProfile('eu.anthropic.claude-haiku-4-5-20251001-v1:0') };
    const kb = new c.KnowledgeBase(stack, 'Kb');
    const guest = new c.BedrockChatFunction(stack, 'Guest', { models, knowledgeBase: kb });
    new c.CognitoGuestPool(stack, 'Guests').allowInvoke(guest.function);
    new c.BedrockChatFunction(stack, 'Iam', { models });
    const pool = new cognito.UserPool(stack, 'Users');
    new c.BedrockChatFunction(stack, 'Jwt', { auth: c.ChatAuth.cognito(pool, pool.addClient('Web')), models });
    new c.BedrockChatFunction(stack, 'Agent', { auth: c.ChatAuth.jwt({ issuer: 'https://id.example.com/', audience: 'chat' }), agent: c.BedrockAgentAlias.fromIds('AGENT12345', 'ALIAS12345') });
    app.synth();
  `);
  const run = spawnSync(process.execPath, ['app.js'], { cwd: consumer, encoding: 'utf8', env: { PATH: process.env.PATH } });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  // One asset per deployed mode, each the prebuilt bundle.
  const assets = readdirSync(path.join(consumer, 'cdk.out')).filter((f) => f.startsWith('asset.'));
  expect(assets).toHaveLength(4);
  for (const asset of assets) expect(readdirSync(path.join(consumer, 'cdk.out', asset))).toContain('index.mjs');
}, 120_000);
