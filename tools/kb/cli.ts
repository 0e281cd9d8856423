/**
 * `npm run kb -- sync …`: start an ingestion job (a "sync") of a deployed knowledge base by hand, e.g. after
 * changing its chunking or when an automatic sync failed. Uploads and deletions under the documents prefix start
 * one on their own (KnowledgeBaseSync); this is the manual lever.
 *
 *   sync --stage NAME [--wait]
 *        the knowledge base and data source of the stage's guest RAG stack (`<stage>-GuestRagChat`), read from the
 *        stack's outputs `KnowledgeBaseId` and `DataSourceId` (CloudFormation DescribeStacks) in the stage's region
 *        (cdk.json)
 *   sync --knowledge-base-id ID --data-source-id ID [--region R] [--wait]
 *        any knowledge base; the region from --region, else the SDK's (AWS_REGION, the profile)
 *
 * `--wait` polls `GetIngestionJob` until the job ends and exits non-zero when it failed. The SDK's default
 * credential chain signs every call; `AWS_ENDPOINT_URL_BEDROCK_AGENT` / `AWS_ENDPOINT_URL_CLOUDFORMATION` point the
 * clients elsewhere (local stand-ins). Needs `bedrock:StartIngestionJob` (and `GetIngestionJob` with --wait) on the
 * knowledge base, and `cloudformation:DescribeStacks` with --stage.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { BedrockAgentClient, GetIngestionJobCommand, type IngestionJob, StartIngestionJobCommand } from '@aws-sdk/client-bedrock-agent';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { UNFINISHED_INGESTION_STATUSES } from '../../contract/knowledge-base-sync';
import { DATA_SOURCE_ID, KNOWLEDGE_BASE_ID, REGION } from '../../contract/patterns';
import { parseStageConfig } from '../../lib/config/stage-config';

const USAGE = `usage: npm run kb -- sync --stage NAME [--wait]
       npm run kb -- sync --knowledge-base-id ID --data-source-id ID [--region R] [--wait]`;

/** The stack of a stage that holds its knowledge base, and the outputs naming it (lib/stacks/guest-rag-chat-stack.ts). */
const KNOWLEDGE_BASE_STACK = 'GuestRagChat';
const OUTPUTS = { knowledgeBaseId: 'KnowledgeBaseId', dataSourceId: 'DataSourceId' } as const;

export class KbCliError extends Error {}

export interface KbCliDependencies {
  readonly agent: (region: string | undefined) => BedrockAgentClient;
  readonly cloudFormation: (region: string | undefined) => CloudFormationClient;
  /** The stages (cdk.json `context.stages`). */
  readonly stages: () => Record<string, unknown>;
  /** Between two `GetIngestionJob` calls with --wait. @default 10 s */
  readonly pollIntervalMs?: number;
  /** Most `GetIngestionJob` calls with --wait. @default 720 (two hours at 10 s) */
  readonly maxPolls?: number;
}

interface Target {
  readonly knowledgeBaseId: string;
  readonly dataSourceId: string;
  readonly region: string | undefined;
}

function parse(argv: readonly string[]): { command: string; flags: Map<string, string>; wait: boolean } {
  const [command = '', ...rest] = argv;
  const flags = new Map<string, string>();
  let wait = false;
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i] ?? '';
    if (flag === '--wait') {
      wait = true;
      continue;
    }
    const name = flag.replace(/^--/, '');
    if (!flag.startsWith('--') || !['stage', 'knowledge-base-id', 'data-source-id', 'region'].includes(name)) {
      throw new KbCliError(`unknown argument '${flag}'\n${USAGE}`);
    }
    const value = rest[++i];
    if (value === undefined || value.startsWith('--')) throw new KbCliError(`${flag} needs a value`);
    flags.set(name, value);
  }
  return { command, flags, wait };
}

async function target(flags: Map<string, string>, deps: KbCliDependencies): Promise<Target> {
  const stage = flags.get('stage');
  if (stage !== undefined) {
    if (flags.has('knowledge-base-id') || flags.has('data-source-id')) {
      throw new KbCliError('give --stage, or --knowledge-base-id with --data-source-id, not both');
    }
    const stages = deps.stages();
    if (!(stage in stages)) throw new KbCliError(`no stage '${stage}' in cdk.json (stages: ${Object.keys(stages).join(', ')})`);
    const config = parseStageConfig(stage, stages[stage]);
    if (!config.guestRag) throw new KbCliError(`stage '${stage}' deploys no knowledge base (no guestRag in cdk.json)`);
    const stackName = `${stage}-${KNOWLEDGE_BASE_STACK}`;
    const cloudFormation = deps.cloudFormation(config.region);
    try {
      const described = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
      const outputs = new Map((described.Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
      const knowledgeBaseId = outputs.get(OUTPUTS.knowledgeBaseId);
      const dataSourceId = outputs.get(OUTPUTS.dataSourceId);
      if (!knowledgeBaseId || !dataSourceId) {
        throw new KbCliError(
          `stack ${stackName} has no ${OUTPUTS.knowledgeBaseId} and ${OUTPUTS.dataSourceId} outputs: is it deployed from this version?`,
        );
      }
      return { knowledgeBaseId, dataSourceId, region: config.region };
    } catch (error) {
      if (error instanceof Error && error.name === 'ValidationError') {
        throw new KbCliError(`stack ${stackName} is not deployed in ${config.region} (${error.message})`);
      }
      throw error;
    } finally {
      cloudFormation.destroy();
    }
  }
  const knowledgeBaseId = flags.get('knowledge-base-id');
  const dataSourceId = flags.get('data-source-id');
  if (knowledgeBaseId === undefined || dataSourceId === undefined) throw new KbCliError(`give --stage, or both ids\n${USAGE}`);
  if (!KNOWLEDGE_BASE_ID.test(knowledgeBaseId)) throw new KbCliError(`--knowledge-base-id must be 10 letters or digits, got '${knowledgeBaseId}'`);
  if (!DATA_SOURCE_ID.test(dataSourceId)) throw new KbCliError(`--data-source-id must be 10 letters or digits, got '${dataSourceId}'`);
  const region = flags.get('region');
  if (region !== undefined && !REGION.test(region)) throw new KbCliError(`--region must be an AWS region such as 'us-east-1', got '${region}'`);
  return { knowledgeBaseId, dataSourceId, region };
}

/** Runs one command; lines go to `out`. Resolves with the process exit code. */
export async function runKbCli(argv: readonly string[], out: (line: string) => void, deps: KbCliDependencies): Promise<number> {
  const { command, flags, wait } = parse(argv);
  if (command !== 'sync') throw new KbCliError(USAGE);
  const { knowledgeBaseId, dataSourceId, region } = await target(flags, deps);
  const agent = deps.agent(region);
  try {
    let job: IngestionJob | undefined;
    try {
      job = (await agent.send(new StartIngestionJobCommand({ knowledgeBaseId, dataSourceId, description: 'Started by hand (npm run kb -- sync)' })))
        .ingestionJob;
    } catch (error) {
      if (error instanceof Error && error.name === 'ConflictException') {
        out(`An ingestion job of knowledge base ${knowledgeBaseId} is already running: ${error.message}`);
        out('Run the sync again once it has ended; it will pick up every change made since it started scanning.');
        return 2;
      }
      throw error;
    }
    const jobId = job?.ingestionJobId ?? '?';
    out(`Started ingestion job ${jobId} of knowledge base ${knowledgeBaseId}, data source ${dataSourceId} (${job?.status ?? 'unknown status'}).`);
    if (!wait) return 0;

    const interval = deps.pollIntervalMs ?? 10_000;
    const maxPolls = deps.maxPolls ?? 720;
    for (let poll = 0; poll < maxPolls; poll++) {
      await new Promise((resolve) => setTimeout(resolve, interval));
      job = (await agent.send(new GetIngestionJobCommand({ knowledgeBaseId, dataSourceId, ingestionJobId: jobId }))).ingestionJob;
      const status = job?.status ?? 'unknown';
      if (UNFINISHED_INGESTION_STATUSES.includes(status)) continue;
      const s = job?.statistics ?? {};
      out(
        `Ingestion job ${jobId} ended ${status}: ${s.numberOfDocumentsScanned ?? 0} scanned, ${s.numberOfNewDocumentsIndexed ?? 0} new, ` +
          `${s.numberOfModifiedDocumentsIndexed ?? 0} modified, ${s.numberOfDocumentsDeleted ?? 0} deleted, ${s.numberOfDocumentsFailed ?? 0} failed.`,
      );
      for (const reason of job?.failureReasons ?? []) out(`  ${reason}`);
      return status === 'COMPLETE' && (s.numberOfDocumentsFailed ?? 0) === 0 ? 0 : 1;
    }
    out(`Ingestion job ${jobId} is still running after ${maxPolls} checks; follow it in the console or with GetIngestionJob.`);
    return 3;
  } finally {
    agent.destroy();
  }
}

if (require.main === module) {
  const deps: KbCliDependencies = {
    agent: (region) => new BedrockAgentClient(region ? { region } : {}),
    cloudFormation: (region) => new CloudFormationClient(region ? { region } : {}),
    stages: () =>
      (JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as { context: { stages: Record<string, unknown> } }).context
        .stages,
  };
  runKbCli(process.argv.slice(2), (line) => process.stdout.write(`${line}\n`), deps)
    .then((code) => {
      process.exitCode = code;
    })
    .catch((error: unknown) => {
      process.stderr.write(
        `${error instanceof KbCliError ? error.message : error instanceof Error ? `${error.name}: ${error.message}` : String(error)}\n`,
      );
      process.exitCode = 1;
    });
}
