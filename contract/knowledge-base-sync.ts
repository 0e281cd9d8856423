/**
 * The contract of the knowledge base sync function (lib/constructs/knowledge-base-sync.ts deploys it,
 * lambdas/knowledge-base-sync/ runs it): its environment, the ingestion job statuses it reads, and the metrics its
 * one summary line per invocation publishes in Embedded Metric Format.
 */
import { METRICS_NAMESPACE } from './metrics';

/** The environment variables the sync function reads at init. */
export const SYNC_ENV = {
  /** The knowledge base whose data source is synced (10 letters or digits). */
  knowledgeBaseId: 'KNOWLEDGE_BASE_ID',
  /** Its S3 data source (10 letters or digits). */
  dataSourceId: 'KNOWLEDGE_BASE_DATA_SOURCE_ID',
} as const;

/**
 * Ingestion job statuses during which a second job must not start: Bedrock runs one ingestion job per data source
 * at a time (`StartIngestionJob` answers `ConflictException` otherwise), and a job started while one runs would
 * miss nothing anyway: the running one does not see changes made after it scanned, the next one will.
 */
export const UNFINISHED_INGESTION_STATUSES: readonly string[] = ['STARTING', 'IN_PROGRESS', 'STOPPING'];

/** The status of a job that ended in failure. */
export const FAILED_INGESTION_STATUS = 'FAILED';

/** The sync metrics live beside the chat metrics, under the knowledge base's id (one dimension, low cardinality). */
export const SYNC_METRICS_NAMESPACE = METRICS_NAMESPACE;
export const SYNC_METRIC_DIMENSION = 'KnowledgeBaseId';

/** Metric names of the sync function's summary line, with their EMF units. */
export const SYNC_METRICS = {
  /** 1 when this invocation started an ingestion job, else 0. */
  jobsStarted: { name: 'IngestionJobsStarted', unit: 'Count' },
  /** 1 when a job was still running and the changes were put back on the queue for later, else 0. */
  syncsDeferred: { name: 'IngestionSyncsDeferred', unit: 'Count' },
  /**
   * 1 when the previous ingestion job (the one that ended before this invocation started the next) ended `FAILED`,
   * else 0. Bedrock publishes no EventBridge event for ingestion jobs, so a failure is seen by the next sync.
   */
  jobsFailed: { name: 'IngestionJobsFailed', unit: 'Count' },
  /** Documents the previous job failed to ingest (a `COMPLETE` job may still have failed some). */
  documentsFailed: { name: 'IngestionDocumentsFailed', unit: 'Count' },
} as const;

/** The S3 events (EventBridge `detail-type`) that change what the knowledge base should hold. */
export const DOCUMENT_CHANGE_EVENTS: readonly string[] = ['Object Created', 'Object Deleted'];
