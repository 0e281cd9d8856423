import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { BedrockModel, IBedrockInvokable } from '../bedrock/bedrock-model';
import { BedrockAccess } from '../constructs/bedrock-access';
import { BedrockChatFunctionProps, IBedrockChatFunction } from '../constructs/bedrock-chat-function';
import { ModelPrice } from '../constructs/chat-backend';
import { ChatMonitoring } from '../constructs/chat-monitoring';
import { RateLimitTable } from '../constructs/rate-limit-table';
import { createCustomerManagedKey } from './customer-managed-key';

/** What every chat stack of a stage shares, taken from the stage configuration. */
export interface ChatStackSettings {
  /** Model alias → foundation model id or cross-region inference profile id; the first is the default (empty when no backend of the stage answers with models). */
  readonly models: Record<string, string>;
  /** `destroy` for throwaway stages, `retain` where data must survive a stack deletion. */
  readonly removalPolicy: RemovalPolicy;
  /** Days CloudWatch keeps the functions' logs. */
  readonly logRetention: logs.RetentionDays;
  /** Concurrent executions reserved for (and capping) each chat function. */
  readonly reservedConcurrency: number;
  /** Requests per minute each caller may make. */
  readonly requestsPerMinute: number;
  /**
   * Let requests through when the rate-limit table is unreachable, for every function of the stage; absent: the
   * construct's default (public-facing functions, the JWT chat and the guest chat, fail closed; the IAM chat open).
   */
  readonly rateLimitFailOpen?: boolean;
  /** Browser origins allowed to call the Function URLs (empty: no CORS). */
  readonly corsAllowedOrigins: string[];
  /**
   * Every chat function calling Bedrock with its own role calls it as this role instead (`BedrockAccess.assumeRole`),
   * typically a `CrossAccountBedrockRole` in a central Bedrock account. A chat whose callers bring their own
   * credentials keeps them. Absent: each function's own role.
   */
  readonly bedrockAccess?: AssumedBedrockRole;
  /** A dashboard and default alarms (`ChatMonitoring`) in every backend stack; absent: none. */
  readonly monitoring?: StageMonitoring;
  /**
   * US dollars per million tokens of each model alias, given to every backend that answers with the stage's models:
   * their summary lines then carry `EstimatedCost`. Absent: no estimate.
   */
  readonly modelPrices?: Record<string, ModelPrice>;
}

/** What a stage's monitoring sets (`stages.<name>.monitoring`). */
export interface StageMonitoring {
  /** Subscribed to the alarm topic each stack creates (it receives a confirmation mail first). */
  readonly alarmEmail?: string;
  /** Notify this existing topic (in the stage's region) instead of creating one per stack. */
  readonly alarmTopicArn?: string;
  readonly serverErrorRatePercent?: number;
  readonly upstreamErrorRatePercent?: number;
  readonly upstreamThrottles?: number;
  readonly timeToFirstTokenP99Ms?: number;
  readonly concurrencyPercentOfReserved?: number;
  /**
   * Estimated US dollars per function and day above which its `DailyCost` alarm fires; needs the stage's prices for
   * every model (checked when the configuration is read). Functions that answer with an agent have no estimate and
   * get no such alarm.
   */
  readonly dailyCostUsd?: number;
}

/** A role every chat function of a stage assumes to call Bedrock (`stages.<name>.bedrockAccess`). */
export interface AssumedBedrockRole {
  /** `arn:aws:iam::<account>:role/<name>`, checked at synth. */
  readonly roleArn: string;
  /** The `sts:ExternalId` its trust policy requires. */
  readonly externalId?: string;
}

/** Just the shared settings of a larger object (a stage configuration), for spreading into stack props. */
export function chatStackSettings(from: ChatStackSettings): ChatStackSettings {
  const {
    models,
    removalPolicy,
    logRetention,
    reservedConcurrency,
    requestsPerMinute,
    rateLimitFailOpen,
    corsAllowedOrigins,
    bedrockAccess,
    monitoring,
    modelPrices,
  } = from;
  return {
    models,
    removalPolicy,
    logRetention,
    reservedConcurrency,
    requestsPerMinute,
    rateLimitFailOpen,
    corsAllowedOrigins,
    bedrockAccess,
    monitoring,
    modelPrices,
  };
}

/** The parts of `BedrockChatFunctionProps` every stack sets the same way. */
export type SharedChatFunctionProps = Pick<
  BedrockChatFunctionProps,
  'rateLimit' | 'reservedConcurrency' | 'logRetention' | 'logEncryptionKey' | 'removalPolicy' | 'cors' | 'access'
>;

/**
 * Creates a stack's shared chat resources (a log key and a rate-limit table, ids `LogKey` and
 * `RateLimits`) and returns the function props they and the settings imply.
 */
export function sharedChatResources(
  scope: Construct,
  settings: ChatStackSettings,
): { limits: RateLimitTable; functionProps: SharedChatFunctionProps } {
  const logKey = createCustomerManagedKey(scope, 'LogKey', {
    description: 'Encrypts the chat function logs of this stack',
    removalPolicy: settings.removalPolicy,
  });
  const limits = new RateLimitTable(scope, 'RateLimits', { removalPolicy: settings.removalPolicy });
  return {
    limits,
    functionProps: {
      rateLimit: { table: limits, requestsPerMinute: settings.requestsPerMinute, failOpen: settings.rateLimitFailOpen },
      reservedConcurrency: settings.reservedConcurrency,
      logRetention: settings.logRetention,
      logEncryptionKey: logKey,
      removalPolicy: settings.removalPolicy,
      cors: settings.corsAllowedOrigins.length > 0 ? { allowedOrigins: settings.corsAllowedOrigins } : undefined,
      // The stage's Bedrock role, for every function of every stack (a stack whose callers bring credentials overrides it).
      ...(settings.bedrockAccess ? { access: BedrockAccess.assumeRole(settings.bedrockAccess) } : {}),
    },
  };
}

/** Configured model ids as `BedrockModel`s (profile or foundation model, by prefix). */
export function modelsFromIds(ids: Record<string, string>): Record<string, IBedrockInvokable> {
  return Object.fromEntries(Object.entries(ids).map(([alias, id]) => [alias, BedrockModel.fromId(id)]));
}

/** What a stack tells {@link stageMonitoring} about its functions. */
export interface MonitoredFunctions {
  /** They answer with the stage's models (priced: they publish `EstimatedCost`), not with an agent. */
  readonly answerWithModels: boolean;
}

/**
 * The stage's monitoring of a stack's chat functions (id `Monitoring`): a `ChatMonitoring` with the stage's
 * thresholds, notifying the stage's topic or one it creates (with the stage's email subscribed). None without
 * `settings.monitoring`. The daily cost alarm only where the functions answer with the stage's priced models: an
 * agent's answer has no estimate, and an alarm on it would watch nothing.
 */
export function stageMonitoring(
  scope: Construct,
  settings: ChatStackSettings,
  functions: IBedrockChatFunction[],
  what: MonitoredFunctions,
): ChatMonitoring | undefined {
  const m = settings.monitoring;
  if (!m) return undefined;
  const priced = what.answerWithModels && settings.modelPrices !== undefined;
  const monitoring = new ChatMonitoring(scope, 'Monitoring', {
    functions,
    alarmTopic: m.alarmTopicArn !== undefined ? sns.Topic.fromTopicArn(scope, 'StageAlarmTopic', m.alarmTopicArn) : undefined,
    thresholds: {
      serverErrorRatePercent: m.serverErrorRatePercent,
      upstreamErrorRatePercent: m.upstreamErrorRatePercent,
      upstreamThrottles: m.upstreamThrottles,
      timeToFirstTokenP99: m.timeToFirstTokenP99Ms !== undefined ? Duration.millis(m.timeToFirstTokenP99Ms) : undefined,
      concurrencyPercentOfReserved: m.concurrencyPercentOfReserved,
      dailyCostUsd: priced ? m.dailyCostUsd : undefined,
    },
    removalPolicy: settings.removalPolicy,
  });
  if (m.alarmEmail !== undefined) monitoring.alarmTopic.addSubscription(new subscriptions.EmailSubscription(m.alarmEmail));
  return monitoring;
}
