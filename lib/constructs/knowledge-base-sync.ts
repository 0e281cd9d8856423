import { ArnFormat, Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { BUNDLE_HANDLER, BUNDLES } from '../../contract/bundles';
import { DOCUMENT_CHANGE_EVENTS, SYNC_ENV, SYNC_METRIC_DIMENSION, SYNC_METRICS, SYNC_METRICS_NAMESPACE } from '../../contract/knowledge-base-sync';
import { DATA_SOURCE_ID } from '../../contract/patterns';
import { createAlarmTopic } from '../private/alarm-topic';
import { bundleCode } from '../private/bundles';
import { createCustomerManagedKey } from '../private/customer-managed-key';
import { allowCloudWatchLogs } from '../private/log-encryption';
import { ManagedPolicyRole } from '../private/managed-policy-role';
import { Validator } from '../private/validation';
import type { IKnowledgeBase } from './knowledge-base';

export interface KnowledgeBaseSyncProps {
  /** The knowledge base to keep in sync (created or imported, in this stack's region). */
  readonly knowledgeBase: IKnowledgeBase;
  /** Its S3 data source (`KnowledgeBase.dataSourceId` for one this library created). */
  readonly dataSourceId: string;
  /**
   * The bucket the data source reads. A bucket created in this app (`s3.Bucket`) gets its EventBridge notifications
   * switched on here; an imported bucket must already send them (S3 console: Properties → Amazon EventBridge → On).
   */
  readonly documentsBucket: s3.IBucket;
  /**
   * Only changes under this key prefix start a sync: give the data source's inclusion prefix
   * (`KnowledgeBase.documentsPrefix`, `published/` by default), so drafts elsewhere in the bucket start nothing.
   * @default - any key in the bucket
   */
  readonly documentsPrefix?: string;
  /**
   * How long changes are gathered before one ingestion job starts for all of them (the event source's batching
   * window): an upload of many files starts one job. 0 to 300 seconds.
   * @default Duration.seconds(60)
   */
  readonly debounce?: Duration;
  /**
   * Where the alarms notify (alarm and OK).
   * @default - a new SNS topic, encrypted with a new KMS key (rotation on) and TLS-only
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * Encrypts the queues and the function's log group.
   * @default - a new KMS key (rotation on)
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * How long the function's log lines are kept.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the queues, the key and the log group when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** Most times a change is received before it lands in the dead-letter queue: about 6 hours of waiting for a running job. */
const MAX_RECEIVE_COUNT = 90;
/** The function makes two short API calls per batch. */
const FUNCTION_TIMEOUT = Duration.seconds(30);
/** Lambda's SQS event source takes up to 10,000 messages per batch with a batching window; an S3 event is about 1 KB. */
const BATCH_SIZE = 1000;

/**
 * Keeps a Bedrock knowledge base in sync with its documents: every upload or deletion under the documents prefix
 * starts an ingestion job, debounced so that a batch of changes starts one job, and never two at once.
 *
 * S3 → EventBridge (a rule on the bucket, the prefix, `Object Created` and `Object Deleted`) → an SQS queue (KMS,
 * TLS-only, a dead-letter queue) → a function with a batching window of `debounce` and a reserved concurrency of 1.
 * The function lists the data source's newest ingestion job: while it runs, the batch goes back to the queue and
 * returns after the visibility timeout; else it starts one job, with a client token derived from the batch so a
 * retried batch never starts a second. A change that cannot be synced within `MAX_RECEIVE_COUNT` receives lands in
 * the dead-letter queue.
 *
 * Alarms: a message in the dead-letter queue, function errors, and a failed ingestion job or failed documents.
 * Bedrock publishes no EventBridge event when an ingestion job ends, so the next sync reports the previous job's
 * outcome (metrics `IngestionJobsFailed` and `IngestionDocumentsFailed`).
 *
 * Grants: `bedrock:ListIngestionJobs` and `bedrock:StartIngestionJob` on the knowledge base's ARN; receiving and
 * deleting on the one queue and decrypting with its key; writing to its own log group.
 */
export class KnowledgeBaseSync extends Construct {
  /** Receives the document changes EventBridge routes. */
  public readonly queue: sqs.Queue;
  /** Changes that could not be synced, and events EventBridge could not deliver. */
  public readonly deadLetterQueue: sqs.Queue;
  /** The sync function. */
  public readonly function: lambda.Function;
  /** The rule routing the bucket's document changes to the queue. */
  public readonly rule: events.Rule;
  public readonly alarmTopic: sns.ITopic;
  public readonly alarms: cloudwatch.Alarm[];
  private readonly knowledgeBaseId: string;

  constructor(scope: Construct, id: string, props: KnowledgeBaseSyncProps) {
    super(scope, id);
    const v = Validator.of('KnowledgeBaseSync', this);
    const debounce = props.debounce ?? Duration.seconds(60);
    v.check(
      debounce.toSeconds(),
      (s) => Number.isInteger(s) && s >= 0 && s <= 300,
      (s) => `debounce must be a whole number of seconds from 0 to 300 (the SQS event source's batching window), got ${s}`,
    );
    v.check(
      props.dataSourceId,
      (ds) => DATA_SOURCE_ID.test(ds),
      (ds) => `dataSourceId must be a data source id (10 letters or digits), got '${ds}'`,
    );
    const prefix = props.documentsPrefix;
    if (prefix !== undefined && !Token.isUnresolved(prefix) && (prefix === '' || prefix.startsWith('/') || /[*?]/.test(prefix))) {
      v.fail(`documentsPrefix must be an S3 key prefix without a leading '/' or wildcards, e.g. 'published/', got '${prefix}'`);
    }
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.knowledgeBaseId = props.knowledgeBase.knowledgeBaseId;

    const key =
      props.encryptionKey ??
      createCustomerManagedKey(this, 'Key', { description: `Encrypts the document change queues and logs of ${this.node.path}`, removalPolicy });

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy,
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: key,
      enforceSSL: true,
      // Lambda Developer Guide ("Using Lambda with Amazon SQS"): at least six times the function's timeout plus the
      // batching window, so a batch in flight is not handed out again. It is also how long a batch put back while a
      // job runs waits before it is tried again.
      visibilityTimeout: Duration.seconds(FUNCTION_TIMEOUT.toSeconds() * 6 + debounce.toSeconds()),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT },
      removalPolicy,
    });

    enableEventBridge(props.documentsBucket);
    this.rule = new events.Rule(this, 'DocumentChanges', {
      description: `Document changes of the knowledge base ${this.node.path} syncs`,
      eventPattern: {
        source: ['aws.s3'],
        detailType: [...DOCUMENT_CHANGE_EVENTS],
        detail: {
          bucket: { name: [props.documentsBucket.bucketName] },
          ...(prefix !== undefined ? { object: { key: [{ prefix }] } } : {}),
        },
      },
    });
    // An event EventBridge cannot deliver (after its retries) goes to the dead-letter queue, where the alarm sees it.
    // Both queues share the key, which the target's grant lets EventBridge use.
    this.rule.addTarget(new targets.SqsQueue(this.queue, { deadLetterQueue: this.deadLetterQueue }));

    const logGroupName = `/bedrock-chat/${Stack.of(this).stackName}/${this.node.addr}`;
    allowCloudWatchLogs(
      key,
      Stack.of(this).formatArn({ service: 'logs', resource: 'log-group', resourceName: logGroupName, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
    );
    const logGroup = new logs.LogGroup(this, 'LogGroup', {
      logGroupName,
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      encryptionKey: key,
      removalPolicy,
    });
    const role = new ManagedPolicyRole(this, 'ServiceRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Knowledge base sync: its queue, its log group, and the ingestion jobs of one knowledge base',
    });
    role.addToPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
    // Service Authorization Reference (Amazon Bedrock): both actions take the knowledge-base resource type.
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['bedrock:ListIngestionJobs', 'bedrock:StartIngestionJob'],
        resources: [props.knowledgeBase.knowledgeBaseArn],
      }),
    );

    this.function = new lambda.Function(this, 'Function', {
      description: 'Starts one ingestion job of a knowledge base for each batch of document changes',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      code: bundleCode(BUNDLES.knowledgeBaseSync),
      handler: BUNDLE_HANDLER,
      role,
      memorySize: 256,
      timeout: FUNCTION_TIMEOUT,
      // One batch at a time: two batches can never both find no job running and both start one.
      reservedConcurrentExecutions: 1,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      tracing: lambda.Tracing.ACTIVE,
      environment: {
        [SYNC_ENV.knowledgeBaseId]: props.knowledgeBase.knowledgeBaseId,
        [SYNC_ENV.dataSourceId]: props.dataSourceId,
      },
    });
    this.function.addEventSource(
      new sources.SqsEventSource(this.queue, {
        batchSize: BATCH_SIZE,
        maxBatchingWindow: debounce,
        reportBatchItemFailures: true,
      }),
    );

    this.alarmTopic = props.alarmTopic ?? createAlarmTopic(this, removalPolicy);
    this.alarms = this.createAlarms();
    const notify = new actions.SnsAction(this.alarmTopic);
    for (const alarm of this.alarms) {
      alarm.addAlarmAction(notify);
      alarm.addOkAction(notify);
    }
    this.acknowledgeInherentFindings(role);
  }

  /** Ingestion jobs started (Sum: jobs; 0 or 1 per sync). */
  public metricIngestionJobsStarted(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.syncMetric(SYNC_METRICS.jobsStarted.name, props);
  }

  /** Syncs put back on the queue because a job was running (Sum). */
  public metricSyncsDeferred(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.syncMetric(SYNC_METRICS.syncsDeferred.name, props);
  }

  /** Ingestion jobs that ended `FAILED`, reported by the sync after them (Sum). */
  public metricIngestionJobsFailed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.syncMetric(SYNC_METRICS.jobsFailed.name, props);
  }

  /** Documents an ingestion job failed to ingest, reported by the sync after it (Sum). */
  public metricIngestionDocumentsFailed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.syncMetric(SYNC_METRICS.documentsFailed.name, props);
  }

  private syncMetric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: SYNC_METRICS_NAMESPACE,
      metricName,
      dimensionsMap: { [SYNC_METRIC_DIMENSION]: this.knowledgeBaseId },
      statistic: 'Sum',
      period: Duration.minutes(5),
      ...props,
    });
  }

  private createAlarms(): cloudwatch.Alarm[] {
    const atLeastOne = { threshold: 1, comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD, evaluationPeriods: 1 };
    return [
      new cloudwatch.Alarm(this, 'DeadLetters', {
        alarmDescription: `Document changes of ${this.node.path} could not be synced or delivered: see its dead-letter queue, then npm run kb -- sync`,
        metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: Duration.minutes(5) }),
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        ...atLeastOne,
      }),
      new cloudwatch.Alarm(this, 'FunctionErrors', {
        alarmDescription: `The sync function of ${this.node.path} failed in 2 of 3 five-minute periods (its batches are retried)`,
        metric: this.function.metricErrors({ statistic: 'Sum', period: Duration.minutes(5) }),
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        ...atLeastOne,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
      }),
      new cloudwatch.Alarm(this, 'IngestionJobFailed', {
        alarmDescription: `An ingestion job of ${this.node.path} ended FAILED (reported by the sync after it)`,
        metric: this.metricIngestionJobsFailed(),
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        ...atLeastOne,
      }),
      new cloudwatch.Alarm(this, 'DocumentsFailed', {
        alarmDescription: `An ingestion job of ${this.node.path} failed to ingest documents (reported by the sync after it)`,
        metric: this.metricIngestionDocumentsFailed(),
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        ...atLeastOne,
      }),
    ];
  }

  private acknowledgeInherentFindings(role: ManagedPolicyRole): void {
    Validations.of(role.policy).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only X-Ray PutTraceSegments and PutTelemetryRecords use Resource *: they support no resource-level permissions (Service Authorization Reference). Every other statement names exact ARNs.',
    });
    const queueFed =
      'The function is invoked only by its SQS event source (synchronously, by the poller): a Lambda dead-letter queue applies to asynchronous invocations only. Batches that keep failing are moved by the queue redrive policy to its own dead-letter queue, which an alarm watches.';
    const noVpc =
      'The function calls only the Bedrock Agent control plane (ListIngestionJobs, StartIngestionJob) over TLS with SigV4 and holds no data of its own; it has no private resource a VPC would protect.';
    Validations.of(this.function).acknowledge(
      { id: 'Serverless::Serverless-LambdaDLQ', reason: queueFed },
      { id: 'NIST.800.53.R5::NIST.800.53.R5-LambdaDLQ', reason: queueFed },
      { id: 'HIPAA.Security::HIPAA.Security-LambdaDLQ', reason: queueFed },
      { id: 'NIST.800.53.R4::NIST.800.53.R4-LambdaInsideVPC', reason: noVpc },
      { id: 'NIST.800.53.R5::NIST.800.53.R5-LambdaInsideVPC', reason: noVpc },
      { id: 'HIPAA.Security::HIPAA.Security-LambdaInsideVPC', reason: noVpc },
      { id: 'PCI.DSS.321::PCI.DSS.321-LambdaInsideVPC', reason: noVpc },
    );
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'Serverless::Serverless-SQSRedrivePolicy',
      reason:
        'This queue is the dead-letter queue of the document change queue (and of the EventBridge target): the end of the line, kept 14 days and watched by an alarm; a redrive policy of its own would only move its messages further from view.',
    });
    const mapping = this.function.node.findAll().find((c) => c instanceof lambda.CfnEventSourceMapping);
    if (!mapping) throw new Error(`KnowledgeBaseSync ${this.node.path}: expected the SQS event source mapping`);
    Validations.of(mapping).acknowledge({
      id: 'Serverless::Serverless-LambdaEventSourceMappingDestination',
      reason:
        "An on-failure destination is only supported for stream and Kafka event sources, not SQS (Lambda API Reference, DestinationConfig); a batch that keeps failing is moved by the queue's redrive policy to its dead-letter queue, which an alarm watches.",
    });
  }
}

/**
 * S3 sends the bucket's events to EventBridge once `NotificationConfiguration.EventBridgeConfiguration` is set. Set on
 * the bucket resource itself, not through aws-cdk-lib's `enableEventBridgeNotification()`, which deploys a custom
 * resource and its Lambda function to do the same.
 */
function enableEventBridge(bucket: s3.IBucket): void {
  const cfn = bucket.node.defaultChild;
  if (!(cfn instanceof s3.CfnBucket)) return;
  const existing = cfn.notificationConfiguration;
  if (existing !== undefined && Token.isUnresolved(existing)) return;
  cfn.notificationConfiguration = {
    ...(existing as s3.CfnBucket.NotificationConfigurationProperty | undefined),
    eventBridgeConfiguration: { eventBridgeEnabled: true },
  };
}
