import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { createAlarmTopic } from '../private/alarm-topic';
import { Validator } from '../private/validation';
import { ChatRequestFlag, ChatTokenDirection, IBedrockChatFunction } from './bedrock-chat-function';

/** Thresholds of the default alarms. */
export interface ChatAlarmThresholds {
  /**
   * Share of requests answered with a 5xx (or failing after the status was sent), in percent, over 5 minutes.
   * @default 5
   */
  readonly serverErrorRatePercent?: number;
  /**
   * Share of requests Bedrock failed (model, knowledge base or agent errors, timeouts, access denied), in percent.
   * @default 5
   */
  readonly upstreamErrorRatePercent?: number;
  /**
   * Requests Bedrock throttled in 5 minutes.
   * @default 5
   */
  readonly upstreamThrottles?: number;
  /**
   * Time to first token, p99 over 5 minutes.
   * @default Duration.seconds(5)
   */
  readonly timeToFirstTokenP99?: Duration;
  /**
   * Concurrent executions as a percentage of the function's reserved concurrency.
   * @default 80
   */
  readonly concurrencyPercentOfReserved?: number;
  /**
   * Estimated cost per day in US dollars (needs model `prices`); no alarm without it.
   * @default - no cost alarm
   */
  readonly dailyCostUsd?: number;
}

export interface ChatMonitoringProps {
  /** The chat functions to watch (created or imported). */
  readonly functions: IBedrockChatFunction[];

  /**
   * Where alarms notify (alarm and OK).
   * @default - a new SNS topic, encrypted with a new KMS key (rotation on) and TLS-only
   */
  readonly alarmTopic?: sns.ITopic;

  /** @default - the defaults of each threshold */
  readonly thresholds?: ChatAlarmThresholds;

  /**
   * The dashboard's name.
   * @default - generated
   */
  readonly dashboardName?: string;

  /**
   * For the key and topic it creates.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A CloudWatch dashboard and default alarms for chat functions, from the metrics their summary line publishes
 * (Embedded Metric Format, namespace `BedrockChat`) and Lambda's own. Alarms notify an SNS topic.
 */
export class ChatMonitoring extends Construct {
  public readonly dashboard: cloudwatch.Dashboard;
  public readonly alarmTopic: sns.ITopic;
  public readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: ChatMonitoringProps) {
    super(scope, id);
    const v = Validator.of('ChatMonitoring', this);
    if (props.functions.length === 0) v.fail('functions must name at least one chat function');
    const t = props.thresholds ?? {};
    const percent = (name: string, value: number | undefined) =>
      v.check(
        value,
        (n) => n > 0 && n <= 100,
        (n) => `thresholds.${name} must be a percentage above 0 and at most 100, got ${n}`,
      );
    percent('serverErrorRatePercent', t.serverErrorRatePercent);
    percent('upstreamErrorRatePercent', t.upstreamErrorRatePercent);
    percent('concurrencyPercentOfReserved', t.concurrencyPercentOfReserved);
    v.check(
      t.dailyCostUsd,
      (n) => n > 0,
      (n) => `thresholds.dailyCostUsd must be above 0, got ${n}`,
    );

    this.alarmTopic = props.alarmTopic ?? createAlarmTopic(this, props.removalPolicy ?? RemovalPolicy.RETAIN);
    const notify = new actions.SnsAction(this.alarmTopic);

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { dashboardName: props.dashboardName });
    props.functions.forEach((fn, index) => {
      const scopeOf = new Construct(this, `Function${index}`);
      this.addWidgets(fn);
      for (const alarm of this.addAlarms(scopeOf, fn, t)) {
        alarm.addAlarmAction(notify);
        alarm.addOkAction(notify);
        this.alarms.push(alarm);
      }
    });
  }

  private addWidgets(fn: IBedrockChatFunction): void {
    const five = Duration.minutes(5);
    const name = fn.functionName;
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({ markdown: `## Chat function ${name}`, width: 24, height: 1 }),
      new cloudwatch.GraphWidget({
        title: 'Traffic: requests by outcome class',
        left: ['ok', 'client_error', 'server_error', 'client_disconnected'].map((klass) =>
          fn.metricOutcomes({ period: five, label: klass, dimensionsMap: { OutcomeClass: klass } }),
        ),
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Errors by code',
        left: [
          'throttled',
          'upstream_error',
          'upstream_timeout',
          'upstream_unavailable',
          'rate_limited',
          'guardrail_intervened',
          'internal_error',
        ].map((code) => fn.metricOutcomes({ code, period: five, label: code })),
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Time to first token (ms)',
        left: ['p50', 'p90', 'p99'].map((statistic) => fn.metricTimeToFirstToken({ statistic, period: five, label: statistic })),
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Tokens',
        left: [ChatTokenDirection.INPUT, ChatTokenDirection.OUTPUT].map((direction) =>
          fn.metricTokens({ direction, period: five, label: direction }),
        ),
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Estimated cost (USD per hour)',
        left: [fn.metricEstimatedCost({ period: Duration.hours(1), label: 'EstimatedCost' })],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Throttles, rate limits, budgets, guardrail',
        left: [
          ChatRequestFlag.UPSTREAM_THROTTLES,
          ChatRequestFlag.RATE_LIMITED,
          ChatRequestFlag.BUDGET_EXHAUSTED,
          ChatRequestFlag.GUARDRAIL_INTERVENTIONS,
        ].map((flag) => fn.metricRequestFlag(flag, { period: five, label: flag })),
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Concurrency against the reserved limit',
        left: [fn.function.metric('ConcurrentExecutions', { statistic: 'Maximum', period: Duration.minutes(1) })],
        leftAnnotations: fn.reservedConcurrency !== undefined ? [{ value: fn.reservedConcurrency, label: 'reserved' }] : [],
        width: 8,
      }),
    );
  }

  private addAlarms(scope: Construct, fn: IBedrockChatFunction, t: ChatAlarmThresholds): cloudwatch.Alarm[] {
    const five = Duration.minutes(5);
    const rate = (id: string, flag: ChatRequestFlag, percentValue: number, what: string) =>
      new cloudwatch.Alarm(scope, id, {
        alarmDescription: `${what} of ${fn.node.path} above ${percentValue} % of requests (3 of 5 minutes)`,
        metric: fn.metricRequestFlag(flag, { statistic: 'Average', period: five }),
        threshold: percentValue / 100,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    const ttft = t.timeToFirstTokenP99 ?? Duration.seconds(5);
    const alarms = [
      rate('ServerErrorRate', ChatRequestFlag.SERVER_ERRORS, t.serverErrorRatePercent ?? 5, '5xx answers'),
      rate('UpstreamErrorRate', ChatRequestFlag.UPSTREAM_ERRORS, t.upstreamErrorRatePercent ?? 5, 'Bedrock failures'),
      new cloudwatch.Alarm(scope, 'UpstreamThrottles', {
        alarmDescription: `Bedrock throttled more than ${t.upstreamThrottles ?? 5} requests of ${fn.node.path} in 5 minutes`,
        metric: fn.metricRequestFlag(ChatRequestFlag.UPSTREAM_THROTTLES, { statistic: 'Sum', period: five }),
        threshold: t.upstreamThrottles ?? 5,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      new cloudwatch.Alarm(scope, 'TimeToFirstTokenP99', {
        alarmDescription: `p99 time to first token of ${fn.node.path} above ${ttft.toMilliseconds()} ms (3 of 5 minutes)`,
        metric: fn.metricTimeToFirstToken({ statistic: 'p99', period: five }),
        threshold: ttft.toMilliseconds(),
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    ];
    if (fn.reservedConcurrency !== undefined) {
      const share = t.concurrencyPercentOfReserved ?? 80;
      alarms.push(
        new cloudwatch.Alarm(scope, 'Concurrency', {
          alarmDescription: `Concurrent executions of ${fn.node.path} at ${share} % of its reserved ${fn.reservedConcurrency}`,
          metric: fn.function.metric('ConcurrentExecutions', { statistic: 'Maximum', period: Duration.minutes(1) }),
          threshold: Math.ceil((fn.reservedConcurrency * share) / 100),
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 3,
          datapointsToAlarm: 2,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    }
    if (t.dailyCostUsd !== undefined) {
      alarms.push(
        new cloudwatch.Alarm(scope, 'DailyCost', {
          alarmDescription: `Estimated cost of ${fn.node.path} above ${t.dailyCostUsd} USD in a day`,
          metric: fn.metricEstimatedCost({ statistic: 'Sum', period: Duration.days(1) }),
          threshold: t.dailyCostUsd,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    }
    return alarms;
  }
}
