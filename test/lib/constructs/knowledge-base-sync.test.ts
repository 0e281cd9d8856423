import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { loadSyncConfig } from '../../../lambdas/knowledge-base-sync/config';
import { KnowledgeBase } from '../../../lib/constructs/knowledge-base';
import { KnowledgeBaseSync, KnowledgeBaseSyncProps } from '../../../lib/constructs/knowledge-base-sync';
import { testStack } from '../../support/cdk-app';
import { deployedEnvironment } from '../../support/deployed-environment';

function synced(props: Partial<KnowledgeBaseSyncProps> = {}, stack: Stack = testStack()) {
  const kb = new KnowledgeBase(stack, 'Kb');
  const sync = new KnowledgeBaseSync(stack, 'Sync', {
    knowledgeBase: kb,
    dataSourceId: 'DSABCDEF12',
    documentsBucket: kb.documentsBucket,
    documentsPrefix: kb.documentsPrefix,
    ...props,
  });
  return { stack, kb, sync, template: Template.fromStack(stack) };
}

const ref = (stack: Stack, construct: { node: { defaultChild?: unknown } }) => ({ Ref: stack.getLogicalId(construct.node.defaultChild as never) });
const arn = (stack: Stack, construct: { node: { defaultChild?: unknown } }) => ({
  'Fn::GetAtt': [stack.getLogicalId(construct.node.defaultChild as never), 'Arn'],
});

describe('KnowledgeBaseSync', () => {
  test('the rule takes Object Created and Object Deleted of the documents bucket under the prefix, into the queue', () => {
    const { stack, kb, sync, template } = synced();
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created', 'Object Deleted'],
        detail: { bucket: { name: [ref(stack, kb.documentsBucket)] }, object: { key: [{ prefix: 'published/' }] } },
      },
      State: 'ENABLED',
      Targets: [
        Match.objectLike({
          Arn: arn(stack, sync.queue),
          DeadLetterConfig: { Arn: arn(stack, sync.deadLetterQueue) },
        }),
      ],
    });
    // S3 sends the bucket's events to EventBridge: set on the bucket, no notifications custom resource.
    template.hasResourceProperties('AWS::S3::Bucket', { NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } } });
    expect(template.findResources('Custom::S3BucketNotifications')).toEqual({});
  });

  test('without a prefix the rule takes every key of the bucket', () => {
    const { template } = synced({ documentsPrefix: undefined });
    const rule = Object.values(template.findResources('AWS::Events::Rule'))[0]!;
    expect(rule.Properties.EventPattern.detail.object).toBeUndefined();
  });

  test('debounce: a 60 s batching window of up to 1000 changes, partial batch answers, one invocation at a time', () => {
    const { stack, sync, template } = synced();
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: arn(stack, sync.queue),
      FunctionName: ref(stack, sync.function),
      BatchSize: 1000,
      MaximumBatchingWindowInSeconds: 60,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    template.hasResourceProperties('AWS::Lambda::Function', { ReservedConcurrentExecutions: 1, Timeout: 30 });
    // Six times the timeout plus the window; changes that cannot be synced in 90 receives go to the dead-letter queue.
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 240,
      RedrivePolicy: { deadLetterTargetArn: arn(stack, sync.deadLetterQueue), maxReceiveCount: 90 },
    });
  });

  test('the debounce is configurable from 0 to 300 s and sets the visibility timeout with it', () => {
    const { template } = synced({ debounce: Duration.minutes(5) });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { MaximumBatchingWindowInSeconds: 300 });
    template.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 480 });
    expect(() => synced({ debounce: Duration.minutes(6) })).toThrow(/debounce must be a whole number of seconds from 0 to 300.*got 360/);
  });

  test('both queues are KMS-encrypted with the key and refuse requests without TLS', () => {
    const { stack, sync, template } = synced();
    const queues = Object.values(template.findResources('AWS::SQS::Queue'));
    expect(queues).toHaveLength(2);
    for (const queue of queues) expect(queue.Properties.KmsMasterKeyId).toEqual(arn(stack, sync.node.findChild('Key') as never));
    const policies = Object.values(template.findResources('AWS::SQS::QueuePolicy')).map((p) => JSON.stringify(p.Properties));
    expect(policies.filter((p) => p.includes('"aws:SecureTransport":"false"'))).toHaveLength(2);
  });

  test('grants: exactly ListIngestionJobs and StartIngestionJob on the knowledge base ARN, queue consumption on the one queue', () => {
    const { stack, kb, sync, template } = synced();
    const policy = Object.values(template.findResources('AWS::IAM::ManagedPolicy')).find((p) =>
      JSON.stringify(p.Properties.Roles).includes(stack.getLogicalId(sync.function.role!.node.defaultChild as never)),
    )!;
    const statements = policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>;
    const bedrock = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('bedrock:')));
    expect(bedrock).toEqual([
      {
        Effect: 'Allow',
        Action: ['bedrock:ListIngestionJobs', 'bedrock:StartIngestionJob'],
        Resource: { 'Fn::GetAtt': [stack.getLogicalId(kb.node.findChild('Resource') as never), 'KnowledgeBaseArn'] },
      },
    ]);
    const sqsStatement = statements.find((s) => [s.Action].flat().includes('sqs:ReceiveMessage'))!;
    expect([sqsStatement.Action].flat().sort()).toEqual([
      'sqs:ChangeMessageVisibility',
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:ReceiveMessage',
    ]);
    expect(sqsStatement.Resource).toEqual(arn(stack, sync.queue));
    const kmsStatement = statements.find((s) => [s.Action].flat().includes('kms:Decrypt'))!;
    expect(kmsStatement.Resource).toEqual(arn(stack, sync.node.findChild('Key') as never));
    // Nothing else may start, stop or delete anything in Bedrock.
    expect(JSON.stringify(statements)).not.toMatch(/bedrock:\*|bedrock:(Get|Stop|Delete)/);
    expect(
      statements
        .filter((s) => s.Resource === '*')
        .flatMap((s) => [s.Action].flat())
        .sort(),
    ).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
  });

  test('EventBridge may send to the queues only from this account (the queue key is granted to it the same way)', () => {
    const { template } = synced();
    const policies = Object.values(template.findResources('AWS::SQS::QueuePolicy')).map((p) => JSON.stringify(p.Properties));
    expect(policies.some((p) => p.includes('events.amazonaws.com') && p.includes('sqs:SendMessage'))).toBe(true);
  });

  test('four alarms (dead letters, function errors, a failed job, failed documents) notify the KMS-encrypted topic', () => {
    const { template } = synced();
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
    expect(alarms.map((a) => `${a.Namespace}/${a.MetricName}`).sort()).toEqual([
      'AWS/Lambda/Errors',
      'AWS/SQS/ApproximateNumberOfMessagesVisible',
      'BedrockChat/IngestionDocumentsFailed',
      'BedrockChat/IngestionJobsFailed',
    ]);
    for (const alarm of alarms) {
      expect(alarm.AlarmActions).toHaveLength(1);
      expect(alarm.OKActions).toHaveLength(1);
    }
    const topic = Object.values(template.findResources('AWS::SNS::Topic'))[0]!;
    expect(topic.Properties.KmsMasterKeyId).toBeDefined();
  });

  test('the runtime accepts the environment the construct deploys', () => {
    const { stack, kb, sync } = synced();
    const config = loadSyncConfig(deployedEnvironment(stack, sync.function));
    expect(config).toMatchObject({ region: 'us-east-1', dataSourceId: 'DSABCDEF12' });
    expect(config.knowledgeBaseId).toMatch(/^[0-9a-zA-Z]{10}$/);
    expect(kb.knowledgeBaseId).toBeDefined();
  });

  test('refuses a bad data source id and a wildcard prefix, naming the construct and the value', () => {
    expect(() => synced({ dataSourceId: 'not-an-id' })).toThrow(/KnowledgeBaseSync Test\/Sync: dataSourceId must be a data source id.*'not-an-id'/);
    expect(() => synced({ documentsPrefix: 'docs/*' })).toThrow(/documentsPrefix must be an S3 key prefix.*'docs\/\*'/);
  });

  test('an imported bucket is left as it is (its owner switches EventBridge on)', () => {
    const stack = testStack();
    const kb = KnowledgeBase.fromKnowledgeBaseId(stack, 'Kb', 'KBABCDEF12');
    new KnowledgeBaseSync(stack, 'Sync', {
      knowledgeBase: kb,
      dataSourceId: 'DSABCDEF12',
      documentsBucket: s3.Bucket.fromBucketName(stack, 'Docs', 'company-documents'),
    });
    const template = Template.fromStack(stack);
    expect(template.findResources('AWS::S3::Bucket')).toEqual({});
    template.hasResourceProperties('AWS::Events::Rule', { EventPattern: { detail: { bucket: { name: ['company-documents'] } } } });
  });
});
