/**
 * `npm run kb -- sync`: the real Bedrock Agent and CloudFormation clients against the local stand-in
 * (tools/local/bedrock-agent-emulator.ts), signatures verified.
 */
import { BedrockAgentClient } from '@aws-sdk/client-bedrock-agent';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { KbCliError, runKbCli } from '../../tools/kb/cli';
import { type BedrockAgentEmulator, startBedrockAgentEmulator } from '../../tools/local/bedrock-agent-emulator';
import { projectContext } from '../support/cdk-app';
import { FAKE_CREDENTIALS } from '../support/events';

const KB = 'KBCLI00001';
const DS = 'DSCLI00001';
let standIn: BedrockAgentEmulator;
let regions: Array<string | undefined>;

async function run(argv: string[], options: { advanceOnGet?: boolean } = {}) {
  await standIn?.close();
  standIn = await startBedrockAgentEmulator({
    dataSources: [{ knowledgeBaseId: KB, dataSourceId: DS }],
    stacks: { 'dev-GuestRagChat': { KnowledgeBaseId: KB, DataSourceId: DS, ChatUrl: 'https://example.com/' } },
    principals: [FAKE_CREDENTIALS],
    ...options,
  });
  regions = [];
  const out: string[] = [];
  const code = await runKbCli(argv, (line) => out.push(line), {
    agent: (region) => {
      regions.push(region);
      return new BedrockAgentClient({ region: region ?? 'us-east-1', endpoint: standIn.url, credentials: FAKE_CREDENTIALS });
    },
    cloudFormation: (region) => new CloudFormationClient({ region: region ?? 'us-east-1', endpoint: standIn.url, credentials: FAKE_CREDENTIALS }),
    stages: () => projectContext.stages as Record<string, unknown>,
    pollIntervalMs: 1,
    maxPolls: 5,
  });
  return { code, out };
}

afterEach(async () => {
  await standIn?.close();
});

test("sync --stage dev starts a job on the knowledge base named by the stage's stack outputs, in the stage's region", async () => {
  const { code, out } = await run(['sync', '--stage', 'dev']);
  expect(code).toBe(0);
  expect(standIn.requests.map((r) => r.operation)).toEqual(['DescribeStacks', 'StartIngestionJob']);
  expect(standIn.jobs).toEqual([expect.objectContaining({ knowledgeBaseId: KB, dataSourceId: DS, status: 'STARTING' })]);
  expect(out[0]).toBe(`Started ingestion job ${standIn.jobs[0]!.ingestionJobId} of knowledge base ${KB}, data source ${DS} (STARTING).`);
  expect(regions).toEqual(['us-east-1']);
});

test('sync with the ids as flags needs no stack; --wait polls GetIngestionJob until the job ends', async () => {
  const { code, out } = await run(['sync', '--knowledge-base-id', KB, '--data-source-id', DS, '--region', 'eu-west-1', '--wait'], {
    advanceOnGet: true,
  });
  expect(code).toBe(0);
  expect(standIn.requests.map((r) => r.operation)).toEqual(['StartIngestionJob', 'GetIngestionJob', 'GetIngestionJob']);
  expect(out.at(-1)).toMatch(/^Ingestion job \w{10} ended COMPLETE: 0 scanned/);
  expect(regions).toEqual(['eu-west-1']);
});

test('a job already running is reported, with exit code 2, and no second job starts', async () => {
  standIn = await startBedrockAgentEmulator({ dataSources: [{ knowledgeBaseId: KB, dataSourceId: DS }] });
  const first = standIn;
  const deps = {
    agent: () => new BedrockAgentClient({ region: 'us-east-1', endpoint: first.url, credentials: FAKE_CREDENTIALS }),
    cloudFormation: () => new CloudFormationClient({ region: 'us-east-1', endpoint: first.url, credentials: FAKE_CREDENTIALS }),
    stages: () => ({}),
  };
  const out: string[] = [];
  expect(await runKbCli(['sync', '--knowledge-base-id', KB, '--data-source-id', DS], () => undefined, deps)).toBe(0);
  expect(await runKbCli(['sync', '--knowledge-base-id', KB, '--data-source-id', DS], (line) => out.push(line), deps)).toBe(2);
  expect(first.jobs).toHaveLength(1);
  expect(out[0]).toMatch(/already running/);
});

test('a stage without a knowledge base, an unknown stage and bad ids are refused before any call', async () => {
  await expect(run(['sync', '--stage', 'nope'])).rejects.toThrow(/no stage 'nope' in cdk.json/);
  await expect(run(['sync', '--knowledge-base-id', 'kb', '--data-source-id', DS])).rejects.toThrow(KbCliError);
  await expect(run(['sync'])).rejects.toThrow(/give --stage, or both ids/);
  await expect(run(['status'])).rejects.toThrow(/usage: npm run kb -- sync/);
  expect(standIn.requests).toEqual([]);
});

test('a stage whose stack is not deployed says so', async () => {
  standIn = await startBedrockAgentEmulator({ dataSources: [], stacks: {} });
  const url = standIn.url;
  await expect(
    runKbCli(['sync', '--stage', 'staging'], () => undefined, {
      agent: () => new BedrockAgentClient({ region: 'us-east-1', endpoint: url, credentials: FAKE_CREDENTIALS }),
      cloudFormation: (region) => new CloudFormationClient({ region: region ?? 'x', endpoint: url, credentials: FAKE_CREDENTIALS }),
      stages: () => projectContext.stages as Record<string, unknown>,
    }),
  ).rejects.toThrow(/stack staging-GuestRagChat is not deployed in us-east-1/);
});
