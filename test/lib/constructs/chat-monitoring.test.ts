/**
 * ChatMonitoring: every alarm and dashboard widget on a `BedrockChat` metric refers to a metric (namespace, name,
 * dimension names and values) the runtime actually emits. The real model-chat entry runs against the emulator
 * and dynalite, its EMF lines are parsed, and each synthesized alarm and widget is checked against them.
 */
import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { BedrockModel } from '../../../lib/bedrock/bedrock-model';
import { BedrockChatFunction } from '../../../lib/constructs/bedrock-chat-function';
import { ChatBackend } from '../../../lib/constructs/chat-backend';
import { ChatMonitoring } from '../../../lib/constructs/chat-monitoring';
import { testStack } from '../../support/cdk-app';
import { type PublishedMetric, publishedMetrics } from '../../support/emf';
import { type ChatStack, postChat, startChatStack } from '../../support/local-services';
import { useLogCapture } from '../../support/log-capture';

/** The function name the local runtime's context carries. */
const FUNCTION_NAME = 'local-chat';

const logs = useLogCapture();
let stack: ChatStack;
let published: PublishedMetric[];

beforeAll(async () => {
  stack = await startChatStack({
    requestsPerMinute: 4,
    emulator: { tokenDelayMs: 1 },
    environment: {
      CHAT_GUARDRAIL_ID: 'gr0abc123def',
      CHAT_GUARDRAIL_VERSION: '1',
      CHAT_MODEL_PRICES: JSON.stringify({ haiku: { input: 1, output: 5 } }),
    },
  });
  const messages = ['Hello', 'Hi [[emulator:guardrail=output]]', 'x [[emulator:fault=throttling]]', 'x [[emulator:fault=internal]]', 'over', 'limit'];
  for (const message of messages) await postChat(stack.url, { message, model: 'haiku' });
  published = publishedMetrics(logs.json().filter((line) => line.event === 'chat_request'));
}, 60_000);

afterAll(() => stack.close());

function synthesize() {
  const cdk = testStack();
  const chat = new BedrockChatFunction(cdk, 'Chat', {
    functionName: FUNCTION_NAME,
    backend: ChatBackend.models(
      { haiku: BedrockModel.inferenceProfile('global.anthropic.claude-haiku-4-5-20251001-v1:0') },
      { prices: { haiku: { inputPerMillionTokens: 1, outputPerMillionTokens: 5 } } },
    ),
  });
  new ChatMonitoring(cdk, 'Monitoring', { functions: [chat], thresholds: { dailyCostUsd: 50, timeToFirstTokenP99: Duration.seconds(3) } });
  const template = Template.fromStack(cdk);
  const functionId = Object.keys(template.findResources('AWS::Lambda::Function'))[0]!;
  return { template, functionId };
}

/** The function's name where the template refers to it. */
function resolveName(value: unknown, functionId: string): string {
  return JSON.stringify(value) === JSON.stringify({ Ref: functionId }) ? FUNCTION_NAME : String(value);
}

function isEmitted(namespace: string, name: string, dimensions: Record<string, string>): boolean {
  return published.some(
    (m) =>
      m.namespace === namespace &&
      m.name === name &&
      Object.keys(m.dimensions).sort().join() === Object.keys(dimensions).sort().join() &&
      Object.entries(dimensions).every(([key, value]) => m.dimensions[key] === value),
  );
}

test('the runtime published the outcomes the alarms watch (ok, guardrail, throttled, upstream error, rate limited)', () => {
  const outcomes = new Set(published.filter((m) => 'Outcome' in m.dimensions).map((m) => m.dimensions.Outcome));
  expect(outcomes).toEqual(new Set(['ok', 'guardrail_intervened', 'throttled', 'upstream_error', 'rate_limited']));
});

test('every alarm on a BedrockChat metric refers to a metric the runtime emits, with its dimensions', () => {
  const { template, functionId } = synthesize();
  const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
  const ours = alarms.filter((a) => a.Namespace === 'BedrockChat');
  expect(ours.map((a) => a.MetricName).sort()).toEqual(['EstimatedCost', 'ServerErrors', 'TimeToFirstToken', 'UpstreamErrors', 'UpstreamThrottles']);
  for (const alarm of ours) {
    const dimensions = Object.fromEntries(alarm.Dimensions.map((d: { Name: string; Value: unknown }) => [d.Name, resolveName(d.Value, functionId)]));
    expect({ metric: alarm.MetricName, dimensions, emitted: isEmitted('BedrockChat', alarm.MetricName, dimensions) }).toMatchObject({
      emitted: true,
    });
  }
  // The one Lambda alarm: concurrency at 80 % of the reserved 10.
  expect(alarms.find((a) => a.Namespace === 'AWS/Lambda')).toMatchObject({ MetricName: 'ConcurrentExecutions', Threshold: 8 });
});

test('every dashboard widget on a BedrockChat metric refers to a metric the runtime emits', () => {
  const { template, functionId } = synthesize();
  const dashboard = Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0]!.Properties.DashboardBody;
  // The body is an Fn::Join of strings and tokens: put the function's name where its Ref is.
  const parts = dashboard['Fn::Join'][1] as unknown[];
  const body = JSON.parse(parts.map((part) => (typeof part === 'string' ? part : resolveName(part, functionId))).join('')) as {
    widgets: Array<{ properties: { metrics?: unknown[][] } }>;
  };
  const metrics = body.widgets.flatMap((w) => w.properties.metrics ?? []).map((row) => row.filter((cell) => typeof cell === 'string') as string[]);
  const ours = metrics.filter((row) => row[0] === 'BedrockChat');
  expect(ours.length).toBeGreaterThan(15);
  const missing = ours.filter(([namespace, name, ...rest]) => {
    const dimensions: Record<string, string> = {};
    for (let i = 0; i + 1 < rest.length; i += 2) dimensions[rest[i]!] = rest[i + 1]!;
    // Outcome codes the six requests did not produce are still real codes: check the dimension set exists.
    if ('Outcome' in dimensions) return !published.some((m) => m.name === name && 'Outcome' in m.dimensions);
    if ('OutcomeClass' in dimensions) return !published.some((m) => m.name === name && 'OutcomeClass' in m.dimensions);
    return !isEmitted(namespace!, name!, dimensions);
  });
  expect(missing).toEqual([]);
});

test('alarms notify a KMS-encrypted, TLS-only topic by default', () => {
  const { template } = synthesize();
  const topic = Object.values(template.findResources('AWS::SNS::Topic'))[0]!;
  expect(topic.Properties.KmsMasterKeyId).toBeDefined();
  const policies = Object.values(template.findResources('AWS::SNS::TopicPolicy'));
  expect(JSON.stringify(policies)).toContain('aws:SecureTransport');
  for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
    expect(alarm.Properties.AlarmActions).toHaveLength(1);
    expect(alarm.Properties.OKActions).toHaveLength(1);
  }
});
