/**
 * The sync step against the local Bedrock Agent control-plane stand-in (tools/local/bedrock-agent-emulator.ts),
 * with the real `@aws-sdk/client-bedrock-agent` over HTTP, every request's SigV4 signature verified and each action
 * checked against what the caller may do (the function's role: ListIngestionJobs and StartIngestionJob only).
 */
import { BedrockAgentClient } from '@aws-sdk/client-bedrock-agent';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { SYNC_METRICS } from '../../../contract/knowledge-base-sync';
import { clientToken, createSyncHandler, type SyncHandler } from '../../../lambdas/knowledge-base-sync/sync';
import { type BedrockAgentEmulator, startBedrockAgentEmulator } from '../../../tools/local/bedrock-agent-emulator';
import { emfProblems, publishedMetrics } from '../../support/emf';
import { FAKE_CREDENTIALS } from '../../support/events';

const KB = 'KBSYNC0001';
const DS = 'DSSYNC0001';
const FUNCTION_ROLE = { ...FAKE_CREDENTIALS, allowedActions: ['bedrock:ListIngestionJobs', 'bedrock:StartIngestionJob'] };
const NO_START = {
  accessKeyId: 'ASIANOSTARTKEY000001',
  secretAccessKey: 'noStartSecret/0123456789abcdefghij',
  allowedActions: ['bedrock:ListIngestionJobs'],
};

let standIn: BedrockAgentEmulator;
let clients: BedrockAgentClient[] = [];
let lines: string[];
let batch = 0;

function agentClient(credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } = FAKE_CREDENTIALS): BedrockAgentClient {
  const client = new BedrockAgentClient({ region: 'us-east-1', endpoint: standIn.url, credentials, maxAttempts: 1 });
  clients.push(client);
  return client;
}

function handler(agent = agentClient()): SyncHandler {
  return createSyncHandler({
    config: { region: 'us-east-1', knowledgeBaseId: KB, dataSourceId: DS },
    agent,
    sink: { log: (line) => lines.push(line), error: (line) => lines.push(line) },
  });
}

/** `count` S3 changes as EventBridge puts them on the queue (the SQS record's body is the event). */
function changes(count: number, detailType = 'Object Created'): SQSEvent {
  batch += 1;
  const records: SQSRecord[] = Array.from({ length: count }, (_, i) => ({
    messageId: `batch${batch}-message-${i}`,
    receiptHandle: `receipt-${batch}-${i}`,
    body: JSON.stringify({
      version: '0',
      id: `event-${batch}-${i}`,
      'detail-type': detailType,
      source: 'aws.s3',
      account: '123456789012',
      time: new Date().toISOString(),
      region: 'us-east-1',
      resources: ['arn:aws:s3:::documents-bucket'],
      detail: { bucket: { name: 'documents-bucket' }, object: { key: `published/handbook-${i}.pdf`, size: 1024 } },
    }),
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(Date.now()),
      SenderId: 'AIDAEVENTBRIDGE',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:sync-queue',
    awsRegion: 'us-east-1',
  }));
  return { Records: records };
}

const summaries = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((l) => l.event === 'knowledge_base_sync');

beforeEach(async () => {
  standIn = await startBedrockAgentEmulator({ dataSources: [{ knowledgeBaseId: KB, dataSourceId: DS }], principals: [FUNCTION_ROLE, NO_START] });
  lines = [];
});

afterEach(async () => {
  for (const client of clients) client.destroy();
  clients = [];
  await standIn.close();
});

test('a batch of 5 uploads starts exactly one ingestion job, and nothing goes back to the queue', async () => {
  const result = await handler()(changes(5), { awsRequestId: 'r1' });
  expect(result).toEqual({ batchItemFailures: [] });
  expect(standIn.jobs).toHaveLength(1);
  expect(standIn.jobs[0]).toMatchObject({ knowledgeBaseId: KB, dataSourceId: DS, status: 'STARTING', description: 'Sync of 5 document changes' });
  expect(standIn.requests.map((r) => [r.operation, r.status, r.accessKeyId])).toEqual([
    ['ListIngestionJobs', 200, FAKE_CREDENTIALS.accessKeyId],
    ['StartIngestionJob', 202, FAKE_CREDENTIALS.accessKeyId],
  ]);
  expect(summaries()).toEqual([
    expect.objectContaining({ outcome: 'started', changes: 5, ingestionJobId: standIn.jobs[0]!.ingestionJobId, IngestionJobsStarted: 1 }),
  ]);
});

test('while a job runs, a new batch starts no second job and every message goes back to the queue', async () => {
  const sync = handler();
  await sync(changes(5), { awsRequestId: 'r1' });
  const later = changes(3, 'Object Deleted');
  const result = await sync(later, { awsRequestId: 'r2' });
  expect(result.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(later.Records.map((r) => r.messageId));
  expect(standIn.jobs).toHaveLength(1);
  expect(standIn.requests.filter((r) => r.operation === 'StartIngestionJob')).toHaveLength(1);
  expect(summaries()[1]).toMatchObject({ outcome: 'deferred', changes: 3, runningJobId: standIn.jobs[0]!.ingestionJobId, IngestionSyncsDeferred: 1 });

  // Once the job has ended, the batch (returned by the queue) starts the next one.
  standIn.finishJob(standIn.jobs[0]!.ingestionJobId);
  expect(await sync(later, { awsRequestId: 'r3' })).toEqual({ batchItemFailures: [] });
  expect(standIn.jobs.map((j) => j.status)).toEqual(['COMPLETE', 'STARTING']);
});

test("the sync after a failed job reports it: IngestionJobsFailed 1 and the job's failed documents", async () => {
  const sync = handler();
  await sync(changes(2), { awsRequestId: 'r1' });
  standIn.finishJob(standIn.jobs[0]!.ingestionJobId, 'FAILED', { statistics: { numberOfDocumentsFailed: 2 }, failureReasons: ['embedding failed'] });
  await sync(changes(1), { awsRequestId: 'r2' });
  expect(summaries()[1]).toMatchObject({
    outcome: 'started',
    previousJobStatus: 'FAILED',
    previousJobId: standIn.jobs[0]!.ingestionJobId,
    [SYNC_METRICS.jobsFailed.name]: 1,
    [SYNC_METRICS.documentsFailed.name]: 2,
  });
  // A job that ended well reports 0 for both.
  standIn.finishJob(standIn.jobs[1]!.ingestionJobId);
  await sync(changes(1), { awsRequestId: 'r3' });
  expect(summaries()[2]).toMatchObject({ [SYNC_METRICS.jobsFailed.name]: 0, [SYNC_METRICS.documentsFailed.name]: 0 });
});

test('every summary line is valid EMF under BedrockChat with the KnowledgeBaseId dimension, and names no object key', async () => {
  const sync = handler();
  await sync(changes(5), { awsRequestId: 'r1' });
  await sync(changes(1), { awsRequestId: 'r2' });
  for (const line of summaries()) expect(emfProblems(line)).toEqual([]);
  const metrics = publishedMetrics(summaries());
  expect(new Set(metrics.map((m) => `${m.namespace}/${m.name}/${Object.keys(m.dimensions).join(',')}`))).toEqual(
    new Set(['BedrockChat/IngestionJobsStarted/KnowledgeBaseId', 'BedrockChat/IngestionSyncsDeferred/KnowledgeBaseId']),
  );
  expect(metrics.every((m) => m.dimensions.KnowledgeBaseId === KB)).toBe(true);
  expect(lines.join('\n')).not.toContain('handbook');
});

test('a role that may not start jobs fails the invocation (the queue retries the batch) and starts nothing', async () => {
  const sync = handler(agentClient(NO_START));
  await expect(sync(changes(2), { awsRequestId: 'r1' })).rejects.toMatchObject({ name: 'AccessDeniedException' });
  expect(standIn.jobs).toHaveLength(0);
  expect(standIn.requests.at(-1)).toMatchObject({ operation: 'StartIngestionJob', status: 403 });
});

test('an empty batch calls nothing', async () => {
  expect(await handler()({ Records: [] }, { awsRequestId: 'r1' })).toEqual({ batchItemFailures: [] });
  expect(standIn.requests).toEqual([]);
});

test('the client token is the same for the same batch in any order, and fits the API (33 to 256 letters or digits)', () => {
  expect(clientToken(['b', 'a', 'c'])).toBe(clientToken(['c', 'b', 'a']));
  expect(clientToken(['a', 'b'])).not.toBe(clientToken(['a', 'b', 'c']));
  expect(clientToken(['a'])).toMatch(/^[a-f0-9]{64}$/);
});

test('a retried batch whose job already ended does not start a second job: the client token returns the first', async () => {
  const sync = handler();
  const event = changes(4);
  await sync(event, { awsRequestId: 'r1' });
  standIn.finishJob(standIn.jobs[0]!.ingestionJobId);
  await sync(event, { awsRequestId: 'r2' });
  expect(standIn.jobs).toHaveLength(1);
});
