/**
 * One sync step: a batch of document changes (S3 `Object Created` / `Object Deleted` events that EventBridge put on
 * the queue, gathered by the event source's batching window) starts at most one ingestion job.
 *
 * 1. `ListIngestionJobs`, newest first, one job: if it is still running (STARTING, IN_PROGRESS, STOPPING), every
 *    message of the batch goes back to the queue (`batchItemFailures`) and returns after the queue's visibility
 *    timeout; the job that runs then sees these changes too.
 * 2. Else `StartIngestionJob` with a client token derived from the batch's message ids: a retried batch never
 *    starts a second job. `ConflictException` (a job started meanwhile) and throttling put the batch back as well.
 * 3. The summary line reports what was done and, as metrics, whether the previous job (the newest one, which has
 *    ended) failed and how many documents it failed: Bedrock publishes no event when an ingestion job ends.
 *
 * Any other error fails the whole batch: the queue retries it, and after the last receive it lands in the
 * dead-letter queue, where an alarm sees it. Object keys are never logged, only counts.
 */
import { createHash } from 'node:crypto';
import { type BedrockAgentClient, type IngestionJobSummary, ListIngestionJobsCommand, StartIngestionJobCommand } from '@aws-sdk/client-bedrock-agent';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import {
  FAILED_INGESTION_STATUS,
  SYNC_METRIC_DIMENSION,
  SYNC_METRICS,
  SYNC_METRICS_NAMESPACE,
  UNFINISHED_INGESTION_STATUSES,
} from '../../contract/knowledge-base-sync';
import { createLogger, errorFields, type LogSink, STANDARD_STREAMS } from '../chat/core/log';
import type { SyncConfig } from './config';

export interface SyncDependencies {
  readonly config: SyncConfig;
  /** Bedrock Agent (the control plane): `ListIngestionJobs` and `StartIngestionJob` on the one knowledge base. */
  readonly agent: Pick<BedrockAgentClient, 'send'>;
  readonly sink?: LogSink;
  readonly now?: () => number;
}

/** Errors after which the batch simply waits: a job is running (or just started), or Bedrock is busy. */
const RETRY_LATER = new Set(['ConflictException', 'ThrottlingException', 'ServiceQuotaExceededException']);

export type SyncHandler = (event: SQSEvent, context: { readonly awsRequestId: string }) => Promise<SQSBatchResponse>;

export function createSyncHandler(deps: SyncDependencies): SyncHandler {
  const { config, agent } = deps;
  const now = deps.now ?? Date.now;
  return async (event, context) => {
    const log = createLogger(context.awsRequestId, deps.sink ?? STANDARD_STREAMS);
    const records = event.Records ?? [];
    const ids = { knowledgeBaseId: config.knowledgeBaseId, dataSourceId: config.dataSourceId };
    const retryAll: SQSBatchResponse = { batchItemFailures: records.map((r) => ({ itemIdentifier: r.messageId })) };
    if (records.length === 0) return { batchItemFailures: [] };

    const summary = (
      outcome: string,
      fields: Record<string, string | number | undefined>,
      values: Partial<Record<keyof typeof SYNC_METRICS, number>>,
    ) => log.info('knowledge_base_sync', { outcome, changes: records.length, ...fields }, emf(config.knowledgeBaseId, now(), values));

    const latest = await latestJob(agent, config);
    if (latest?.status !== undefined && UNFINISHED_INGESTION_STATUSES.includes(latest.status)) {
      summary('deferred', { runningJobId: latest.ingestionJobId, runningJobStatus: latest.status }, { jobsStarted: 0, syncsDeferred: 1 });
      return retryAll;
    }

    let jobId: string | undefined;
    try {
      const started = await agent.send(
        new StartIngestionJobCommand({
          ...ids,
          clientToken: clientToken(records.map((r) => r.messageId)),
          description: `Sync of ${records.length} document change${records.length === 1 ? '' : 's'}`,
        }),
      );
      jobId = started.ingestionJob?.ingestionJobId;
    } catch (error) {
      if (error instanceof Error && RETRY_LATER.has(error.name)) {
        summary('deferred', errorFields(error) as Record<string, string | number | undefined>, { jobsStarted: 0, syncsDeferred: 1 });
        return retryAll;
      }
      throw error;
    }
    const previousFailed = latest?.status === FAILED_INGESTION_STATUS ? 1 : 0;
    summary(
      'started',
      { ingestionJobId: jobId, previousJobId: latest?.ingestionJobId, previousJobStatus: latest?.status },
      {
        jobsStarted: 1,
        syncsDeferred: 0,
        ...(latest ? { jobsFailed: previousFailed, documentsFailed: latest.statistics?.numberOfDocumentsFailed ?? 0 } : {}),
      },
    );
    return { batchItemFailures: [] };
  };
}

/** The data source's newest ingestion job (by start time), if it ever had one. */
async function latestJob(agent: Pick<BedrockAgentClient, 'send'>, config: SyncConfig): Promise<IngestionJobSummary | undefined> {
  const listed = await agent.send(
    new ListIngestionJobsCommand({
      knowledgeBaseId: config.knowledgeBaseId,
      dataSourceId: config.dataSourceId,
      sortBy: { attribute: 'STARTED_AT', order: 'DESCENDING' },
      maxResults: 1,
    }),
  );
  return listed.ingestionJobSummaries?.[0];
}

/**
 * `StartIngestionJob`'s idempotency token for a batch: the SHA-256 of its sorted message ids (64 hex digits, within
 * the API's 33 to 256 characters). The same batch retried after a lost answer returns the job it already started.
 */
export function clientToken(messageIds: readonly string[]): string {
  return createHash('sha256')
    .update([...messageIds].sort().join('\n'))
    .digest('hex');
}

/** The summary line's EMF members: the given metrics under the knowledge base's id. */
function emf(knowledgeBaseId: string, timestamp: number, values: Partial<Record<keyof typeof SYNC_METRICS, number>>): Record<string, unknown> {
  const present = (Object.keys(values) as Array<keyof typeof SYNC_METRICS>).filter((key) => values[key] !== undefined);
  return {
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        {
          Namespace: SYNC_METRICS_NAMESPACE,
          Dimensions: [[SYNC_METRIC_DIMENSION]],
          Metrics: present.map((key) => ({ Name: SYNC_METRICS[key].name, Unit: SYNC_METRICS[key].unit })),
        },
      ],
    },
    [SYNC_METRIC_DIMENSION]: knowledgeBaseId,
    ...Object.fromEntries(present.map((key) => [SYNC_METRICS[key].name, values[key]])),
  };
}
