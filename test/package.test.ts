/**
 * The construct library as another team installs it: `npm pack` of the package (lib/ compiled the way `npm run build`
 * compiles it, the prebuilt bundles beside it, only the files package.json publishes), unpacked into the
 * node_modules of an app outside this repository that can resolve nothing else but aws-cdk-lib, constructs,
 * @aws-cdk/aws-bedrock-alpha and Node's types (links to this repository's copies; no network). The app is
 * TypeScript, compiled with `skipLibCheck: false` so the published declarations are type-checked too, then
 * synthesized by plain `node`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..');
const PEERS = ['aws-cdk-lib', 'constructs', '@aws-cdk/aws-bedrock-alpha', '@types/node'];
/** The client entry point's optional peers: an app that imports `bedrock-chat-constructs/client` installs them. */
const CLIENT_PEERS = ['aws4fetch', '@aws-sdk/client-cognito-identity', '@aws-sdk/client-sts'];

/** The consumer: every case of the acceptance list, in one app. */
const APP = `
import { App, Stack } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as bedrock from '@aws-cdk/aws-bedrock-alpha';
import {
  BedrockChatFunction, BedrockModel, BedrockAgentAlias, ChatAuth, ChatBackend, ChatHistoryTable, CognitoGuestPool,
  CognitoTokenUse, KnowledgeBase, RateLimitTable,
} from 'bedrock-chat-constructs';

const app = new App({ outdir: process.argv[2] });
const stack = new Stack(app, 'Consumer', { env: { account: '111122223333', region: 'us-east-1' } });

// A user pool another team runs in another region, imported by id.
const users = cognito.UserPool.fromUserPoolId(stack, 'Users', 'eu-west-1_AbCdEf123');
const web = cognito.UserPoolClient.fromUserPoolClientId(stack, 'Web', '1a2b3c4d5e6f7g8h9i0j1k2l3m');

// Tables and a knowledge base that exist already.
const limits = RateLimitTable.fromTableName(stack, 'Limits', 'platform-rate-limits');
const chats = ChatHistoryTable.fromTableArn(stack, 'Chats', 'arn:aws:dynamodb:us-east-1:111122223333:table/platform-chats');
const docs = KnowledgeBase.fromKnowledgeBaseAttributes(stack, 'Docs', { knowledgeBaseArn: 'arn:aws:bedrock:eu-central-1:444455556666:knowledge-base/KB12345678' });

// Models: an application inference profile (cost per tenant) and aws-bedrock-alpha invokables.
const tenant = BedrockModel.applicationInferenceProfile(
  'arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/abcd1234efgh',
  BedrockModel.inferenceProfile('us.anthropic.claude-haiku-4-5-20251001-v1:0'),
);
const sonnet = bedrock.CrossRegionInferenceProfile.fromConfig({
  geoRegion: bedrock.CrossRegionInferenceProfileRegion.US,
  model: bedrock.BedrockFoundationModel.ANTHROPIC_CLAUDE_SONNET_4_6,
});

// Two functions sharing one rate-limit table: each counts in its own namespace.
new BedrockChatFunction(stack, 'Support', {
  functionName: 'support-chat',
  auth: ChatAuth.cognito(users, web, { tokenUse: CognitoTokenUse.ID, requiredClaims: ['email'] }),
  backend: ChatBackend.models({ tenant, sonnet, nova: bedrock.BedrockFoundationModel.AMAZON_NOVA_LITE_V1 }, { history: { table: chats } }),
  rateLimit: { table: limits },
});
const guide = new BedrockChatFunction(stack, 'Guide', {
  backend: ChatBackend.knowledgeBase(docs, { tenant }),
  rateLimit: { table: limits },
});
new CognitoGuestPool(stack, 'Guests').allowInvoke(guide);
new BedrockChatFunction(stack, 'Agent', {
  auth: ChatAuth.jwt({ issuer: 'https://id.example.com/', audience: 'chat' }),
  backend: ChatBackend.agent(BedrockAgentAlias.fromIds('AGENT12345', 'TSTALIASID'), { history: {} }),
});
app.synth();

`;

/** A second program of the consumer: the typed client, its own entry point, typed and loadable without AWS. */
const CLIENT_CHECK = `
import { ChatClientError, createGuestChatClient, type ChatEvent } from 'bedrock-chat-constructs/client';
const client = createGuestChatClient({
  functionUrl: 'https://abc.lambda-url.us-east-1.on.aws/',
  region: 'us-east-1',
  identityPoolId: 'us-east-1:00000000-0000-4000-8000-000000000000',
  guestRoleArn: 'arn:aws:iam::111122223333:role/guest',
});
const firstEvent: ChatEvent['type'] | undefined = undefined;
if (typeof client.chat !== 'function' || !(new ChatClientError(429, 'rate_limited', 'x') instanceof Error) || firstEvent) process.exit(3);

console.log('client ok');
`;

function run(command: string, args: string[], cwd: string): string {
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: tmpdir(), npm_config_cache: path.join(tmpdir(), 'npm-cache-package-test') },
  });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

test('the packed tarball compiles (skipLibCheck false) and synthesizes in a consumer app outside the repository', () => {
  // The package as `npm run build` makes it, then packed with the repository's own package.json (its `files`).
  const pkg = mkdtempSync(path.join(tmpdir(), 'bedrock-chat-package-'));
  execFileSync(
    process.execPath,
    [require.resolve('typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', path.join(pkg, 'dist'), '--sourceMap', 'false'],
    { stdio: 'pipe' },
  );
  // The bundles `npm test` built (pretest) are the ones the package ships (npm run build copies them the same way).
  cpSync(path.join(ROOT, 'assets'), path.join(pkg, 'dist', 'assets'), { recursive: true });
  copyFileSync(path.join(ROOT, 'package.json'), path.join(pkg, 'package.json'));
  const [{ filename }] = JSON.parse(run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', pkg], pkg)) as Array<{
    filename: string;
  }>;

  const consumer = mkdtempSync(path.join(tmpdir(), 'bedrock-chat-consumer-'));
  const installed = path.join(consumer, 'node_modules', 'bedrock-chat-constructs');
  mkdirSync(installed, { recursive: true });
  run('tar', ['xzf', path.join(pkg, filename), '-C', installed, '--strip-components=1'], consumer);
  for (const dep of [...PEERS, ...CLIENT_PEERS]) {
    mkdirSync(path.dirname(path.join(consumer, 'node_modules', dep)), { recursive: true });
    symlinkSync(path.join(ROOT, 'node_modules', dep), path.join(consumer, 'node_modules', dep), 'dir');
  }
  writeFileSync(path.join(consumer, 'app.ts'), APP);
  writeFileSync(path.join(consumer, 'client-check.ts'), CLIENT_CHECK);
  writeFileSync(
    path.join(consumer, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'commonjs',
        moduleResolution: 'node',
        strict: true,
        skipLibCheck: false,
        types: ['node'],
        outDir: 'out',
      },
      files: ['app.ts', 'client-check.ts'],
    }),
  );
  run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', consumer], consumer);

  const outdir = path.join(consumer, 'cdk.out');
  const synth = spawnSync(process.execPath, [path.join(consumer, 'out', 'app.js'), outdir], {
    cwd: consumer,
    encoding: 'utf8',
    env: { PATH: process.env.PATH },
  });
  expect(synth.stderr).toBe('');
  expect(synth.status).toBe(0);
  // The client entry point resolves through the package's `exports` (and `typesVersions` for tsc); the SDK's own
  // switch quiets its Node 20 support notice, which the client's first SDK client would print here.
  const clientCheck = spawnSync(process.execPath, [path.join(consumer, 'out', 'client-check.js')], {
    cwd: consumer,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  expect({ status: clientCheck.status, stdout: clientCheck.stdout, stderr: clientCheck.stderr }).toEqual({
    status: 0,
    stdout: 'client ok\n',
    stderr: '',
  });

  const template = JSON.parse(readFileSync(path.join(outdir, 'Consumer.template.json'), 'utf8')) as {
    Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
  };
  const functions = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
  const env = (name: string) =>
    (functions.find((f) => JSON.stringify(f).includes(name))!.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
  const support = env('support-chat');
  // The pool's own region, the shared table, each function its own namespace.
  expect(JSON.stringify(support.JWT_ISSUER)).toContain('https://cognito-idp.eu-west-1.');
  expect(functions.map((f) => (f.Properties.Environment as { Variables: Record<string, unknown> }).Variables.RATE_LIMIT_TABLE_NAME)).toEqual([
    'platform-rate-limits',
    'platform-rate-limits',
    expect.anything(),
  ]);
  expect(
    new Set(functions.map((f) => (f.Properties.Environment as { Variables: Record<string, unknown> }).Variables.RATE_LIMIT_NAMESPACE)).size,
  ).toBe(3);
  expect(support.HISTORY_TABLE_NAME).toBe('platform-chats');
  // The imported knowledge base is queried in its own region.
  expect(env('KB12345678')).toMatchObject({ KNOWLEDGE_BASE_ID: 'KB12345678', KNOWLEDGE_BASE_REGION: 'eu-central-1' });
  // The application profile and the alpha invokables got exact statements, the profile condition among them.
  const policies = JSON.stringify(Object.values(template.Resources).filter((r) => r.Type === 'AWS::IAM::ManagedPolicy'));
  expect(policies).toContain('application-inference-profile/abcd1234efgh');
  expect(policies).toContain('bedrock:InferenceProfileArn');
  expect(policies).toContain('arn:aws:bedrock:eu-central-1:444455556666:knowledge-base/KB12345678');
  expect(policies).not.toContain('bedrock:InvokeModel*');
  expect(functions.some((f) => f.Properties.FunctionName === 'support-chat')).toBe(true);
  // One asset per deployed bundle, each the prebuilt bundle.
  const assets = readdirSync(outdir).filter((f) => f.startsWith('asset.'));
  expect(assets).toHaveLength(3);
  for (const asset of assets) expect(readdirSync(path.join(outdir, asset))).toContain('index.mjs');
}, 240_000);
