import { RemovalPolicy } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { DEFAULTS } from '../../contract/env';
import { GROUNDING_LIMITS, GUEST_RAG_GROUNDING } from '../../contract/guardrails';
import { LIMITS } from '../../contract/limits';
import {
  AGENT_RESOURCE_ID,
  CLAIM_NAME,
  COGNITO_ID_TOKEN_ONLY_CLAIMS,
  EXTERNAL_ID,
  IAM_ROLE_ARN,
  MODEL_ALIAS,
  MODEL_ALIAS_RULE,
  REGION,
} from '../../contract/patterns';
import { AssumedBedrockRole, ChatStackSettings, StageMonitoring } from '../private/chat-stack-settings';
import { DISTRIBUTION_PATH } from '../private/distribution-path';

/**
 * The settings of one deployment stage, as read from `cdk.json` context `stages.<name>`: the settings every backend
 * shares, and one key per backend the stage deploys (a backend whose key is absent is not deployed).
 */
export interface StageConfig extends ChatStackSettings {
  /** Stage name: the CDK `Stage` id, so `cdk deploy '<name>/*'` deploys it. */
  readonly name: string;
  /** Target account; omitted means the account of the credentials used at deploy time. */
  readonly account?: string;
  /** Target region (also decides which inference-profile geographies are valid). */
  readonly region: string;
  /** The IAM-authenticated streaming chat (stack `StreamingChat`). */
  readonly iamChat?: IamChatConfig;
  /** The JWT-authenticated chat with stored chats (stack `JwtChat`). */
  readonly jwtChat?: JwtChatConfig;
  /** The guest RAG chatbot (stack `GuestRagChat`). */
  readonly guestRag?: GuestRagConfig;
  /** The chat where each caller brings its own AWS credentials (stack `CallerCredentialsChat`). */
  readonly callerCredentialsChat?: CallerCredentialsChatConfig;
  /** The OpenAI-compatible chat completions API (stack `ChatCompletions`). */
  readonly chatCompletions?: ChatCompletionsConfig;
  /**
   * US dollars per million tokens of each model alias (`stages.<name>.prices`): the estimated cost in the logs and
   * metrics of every backend answering with the stage's models, the unit of the completions API's `costPerDayUsd`
   * budget and of `monitoring.dailyCostUsd`.
   */
  readonly prices?: Record<string, StagePrice>;
  /** The chat page, offering the stage's backends (stack `ChatWebsite`). */
  readonly website?: WebsiteConfig;
}

/**
 * Settings of the caller-credentials chat (`stages.<name>.callerCredentialsChat`): every Bedrock call is signed with
 * the caller's own AWS credentials (`awsCredentials` in the body), so the function's role holds no Bedrock permission.
 * It answers with an agent (`agent`) or with the stage's models.
 */
export interface CallerCredentialsChatConfig {
  /**
   * How callers reach the URL: `public` (anyone; each source address rate limited, failing closed) or `jwt` (bearer
   * tokens of `issuer` for `audience`). Default `public`.
   */
  readonly auth: 'public' | 'jwt';
  /** With `auth: jwt`: the OIDC issuer (https URL) and audience. */
  readonly issuer?: string;
  readonly audience?: string;
  /** With `auth: jwt`: claims every token must carry. */
  readonly requiredClaims: string[];
  /** Regions a caller may name in `awsCredentials.region`, the first the default. Default: the stage's region. */
  readonly allowedRegions: string[];
  /** Answer with an agent instead of the stage's models. */
  readonly agent?: CallerCredentialsAgentConfig;
}

/**
 * The agent of the caller-credentials chat: a fixed alias (`agentId` and `agentAliasId`), and/or the caller's choice
 * (`allowCallerChoice: true`: the body may name `agentId` and `agentAliasId`; the configured ones, if any, are the default).
 */
export interface CallerCredentialsAgentConfig {
  readonly agentId?: string;
  readonly agentAliasId?: string;
  readonly allowCallerChoice: boolean;
}

/** The stage's monitoring (`stages.<name>.monitoring`): see `ChatStackSettings.monitoring`. */
export type StageMonitoringConfig = StageMonitoring;

/** The stage's Bedrock access (`stages.<name>.bedrockAccess`): see `ChatStackSettings.bedrockAccess`. */
export type StageBedrockAccessConfig = AssumedBedrockRole;

/**
 * Settings of the chat page (`stages.<name>.website`). The page calls the backends from the browser, so each
 * backend's CORS must name the page's origin, and a Cognito sign-in must list the page as its callback: with
 * `domainName` the stage does both at synth time. Without it the page is served at the distribution's
 * `*.cloudfront.net` name, which CloudFront assigns during the deploy: add the `PageOrigin` output to
 * `corsAllowedOrigins` and deploy again (the signed-in chat is then not offered, having no callback URL).
 */
export interface WebsiteConfig {
  /** The page's domain name, e.g. `chat.example.com` (with `certificateArn`). */
  readonly domainName?: string;
  /** An ACM certificate in us-east-1 covering `domainName` (CloudFront reads certificates there only). */
  readonly certificateArn?: string;
  /** Put AWS WAF in front of the page: `create` makes a web ACL (the stage must be in us-east-1), or a web ACL's ARN. */
  readonly firewall?: string;
  /**
   * The prefix of the Cognito managed-login domain (`<prefix>.auth.<region>.amazoncognito.com`, unique in the
   * region across AWS) through which people sign in to the JWT chat on the page; needs `domainName` and the
   * stage's own user pool (no external `issuer`).
   */
  readonly signInDomainPrefix?: string;
  /**
   * Serve the JWT chat through the page's own distribution under this path (e.g. `/api/chat`), behind its firewall:
   * its Function URL then takes `AWS_IAM` auth and only the distribution may invoke it (needs `signInDomainPrefix`).
   */
  readonly signedInChatPath?: string;
}

/** Settings of the IAM streaming chat (`stages.<name>.iamChat`); none yet beyond the stage's own. */
export type IamChatConfig = Record<string, never>;

/** Settings of the guest RAG chat stack (`stages.<name>.guestRag`). */
export interface GuestRagConfig {
  /** Passages retrieved per question (1 to 100). */
  readonly numberOfResults: number;
  /** Passages scoring below this (0 to 1) are dropped; none left gives the fallback answer. */
  readonly minScore: number;
  /** The guardrail blocks answers scoring below this for grounding in the passages (0 to 0.99; default 0.75). */
  readonly groundingThreshold: number;
  /** The guardrail blocks answers scoring below this for relevance to the question (0 to 0.99; default 0.75). */
  readonly relevanceThreshold: number;
}

/** One model's prices in US dollars per million tokens (`stages.<name>.prices.<alias>`). */
export interface StagePrice {
  readonly input: number;
  readonly output: number;
  /** Tokens read from the prompt cache; default the input price. */
  readonly cacheRead?: number;
  /** Tokens written to the prompt cache; default the input price. */
  readonly cacheWrite?: number;
}

/**
 * Settings of the OpenAI-compatible API (`stages.<name>.chatCompletions`): the stage's models, API keys (or tokens of
 * an OIDC issuer), a cap on `max_tokens`, a per-caller rate limit and daily budgets. An API key's own limits
 * (`npm run keys -- set-budget`) replace `requestsPerMinute`, `tokensPerDay` and `costPerDayUsd` for that key.
 */
export interface ChatCompletionsConfig {
  /** `apiKeys` (default: keys in an `ApiKeyTable` of the stack) or `jwt` (bearer tokens of `issuer` for `audience`). */
  readonly auth: 'apiKeys' | 'jwt';
  /** With `auth: "jwt"`: the OIDC issuer (https URL) and the audience its tokens must name. */
  readonly issuer?: string;
  readonly audience?: string;
  /** With `auth: "jwt"`: claims every token must carry. */
  readonly requiredClaims?: string[];
  /** The cap on `max_tokens` / `max_completion_tokens`, and the value when a request sends neither. */
  readonly maxTokens: number;
  /** Requests per minute per caller (key or token subject); default the stage's `requestsPerMinute`. */
  readonly requestsPerMinute: number;
  /** Tokens per caller and UTC day. */
  readonly tokensPerDay?: number;
  /** Estimated US dollars per caller and UTC day, priced with the stage's `prices` (which must name every model). */
  readonly costPerDayUsd?: number;
}

/** Settings of the JWT chat stack (`stages.<name>.jwtChat`). */
export interface JwtChatConfig {
  /** An external OIDC issuer and audience; omitted means a Cognito user pool created in the stack. */
  readonly issuer?: string;
  readonly audience?: string;
  /** Claims every token must carry; with the stage's own user pool, claims its access tokens carry (no `email`). */
  readonly requiredClaims: string[];
  /** With an external issuer: refuse its tokens issued longer ago than this (`iat`), 1 to 1440 minutes. */
  readonly maxTokenAgeMinutes?: number;
  /** Self sign-up in the created user pool. */
  readonly selfSignUp: boolean;
  /** Answer with this Bedrock Agent alias instead of the stage's models. */
  readonly agent?: { readonly agentId: string; readonly agentAliasId: string };
  /** Days stored chats are kept after their last write (`historyRetention`; default 365): DynamoDB then deletes them. */
  readonly historyRetentionDays: number;
}

/** Stored chats are kept a year after their last write unless the stage says otherwise (`jwtChat.historyRetention`). */
export const DEFAULT_HISTORY_RETENTION_DAYS = 365;

/** Thrown when `cdk.json` holds a stage setting that cannot work; the message names the key and the value. */
export class StageConfigError extends Error {
  constructor(key: string, value: unknown, expected: string) {
    super(`Invalid stage configuration: ${key} = ${JSON.stringify(value)}; expected ${expected}`);
    this.name = 'StageConfigError';
  }
}

const REMOVAL_POLICIES: Record<string, RemovalPolicy> = { destroy: RemovalPolicy.DESTROY, retain: RemovalPolicy.RETAIN };
const RETENTION_DAYS = Object.values(logs.RetentionDays).filter((d): d is number => typeof d === 'number' && d !== logs.RetentionDays.INFINITE);
/** The backends a stage can deploy, each by its own key. */
const BACKEND_KEYS = ['iamChat', 'jwtChat', 'guestRag', 'callerCredentialsChat', 'chatCompletions'];
const WEBSITE_KEYS = ['domainName', 'certificateArn', 'firewall', 'signInDomainPrefix', 'signedInChatPath'];
const KEYS = [
  'account',
  'region',
  'removalPolicy',
  'logRetentionDays',
  'reservedConcurrency',
  'requestsPerMinute',
  'rateLimitFailOpen',
  'corsAllowedOrigins',
  'models',
  'prices',
  ...BACKEND_KEYS,
  'website',
  'bedrockAccess',
  'monitoring',
];
const MONITORING_KEYS = [
  'alarmEmail',
  'alarmTopicArn',
  'serverErrorRatePercent',
  'upstreamErrorRatePercent',
  'upstreamThrottles',
  'timeToFirstTokenP99Ms',
  'concurrencyPercentOfReserved',
  'dailyCostUsd',
];
const CALLER_CREDENTIALS_KEYS = ['auth', 'issuer', 'audience', 'requiredClaims', 'allowedRegions', 'agent'];
const JWT_KEYS = ['issuer', 'audience', 'requiredClaims', 'maxTokenAgeMinutes', 'selfSignUp', 'agent', 'historyRetention'];
const COMPLETIONS_KEYS = ['auth', 'issuer', 'audience', 'requiredClaims', 'maxTokens', 'requestsPerMinute', 'tokensPerDay', 'costPerDayUsd'];
const PRICE_KEYS = ['input', 'output', 'cacheRead', 'cacheWrite'];
const GUEST_RAG_KEYS = ['numberOfResults', 'minScore', 'groundingThreshold', 'relevanceThreshold'];

/** Reads and checks every stage under the `stages` context key. */
export function parseStageConfigs(raw: unknown): StageConfig[] {
  if (!isObject(raw) || Object.keys(raw).length === 0) {
    throw new StageConfigError('stages', raw, 'an object with one entry per stage, e.g. { "dev": { … } }');
  }
  return Object.entries(raw).map(([name, value]) => parseStageConfig(name, value));
}

export function parseStageConfig(name: string, raw: unknown): StageConfig {
  const at = (key: string) => `stages.${name}.${key}`;
  if (!/^[a-z][a-z0-9-]{0,30}$/.test(name))
    throw new StageConfigError(`stages.${name}`, name, 'a stage name of lower-case letters, digits and dashes');
  if (!isObject(raw)) throw new StageConfigError(`stages.${name}`, raw, 'an object');
  const unknown = Object.keys(raw).find((k) => !KEYS.includes(k));
  if (unknown !== undefined) throw new StageConfigError(at(unknown), raw[unknown], `no such setting (known: ${KEYS.join(', ')})`);

  const account = raw.account;
  if (account !== undefined && (typeof account !== 'string' || !/^\d{12}$/.test(account))) {
    throw new StageConfigError(at('account'), account, 'a 12-digit AWS account id, or no account key at all');
  }
  const region = raw.region;
  if (typeof region !== 'string' || !REGION.test(region)) {
    throw new StageConfigError(at('region'), region, "an AWS region name such as 'us-east-1'");
  }
  const removalPolicy = REMOVAL_POLICIES[String(raw.removalPolicy)];
  if (!removalPolicy) throw new StageConfigError(at('removalPolicy'), raw.removalPolicy, "'destroy' or 'retain'");
  const logRetentionDays = raw.logRetentionDays;
  if (typeof logRetentionDays !== 'number' || !RETENTION_DAYS.includes(logRetentionDays)) {
    throw new StageConfigError(
      at('logRetentionDays'),
      logRetentionDays,
      `one of the CloudWatch Logs retention periods: ${RETENTION_DAYS.join(', ')}`,
    );
  }
  const reservedConcurrency = positiveInteger(raw.reservedConcurrency, at('reservedConcurrency'), 1000);
  const requestsPerMinute = positiveInteger(raw.requestsPerMinute, at('requestsPerMinute'), LIMITS.maxRequestsPerMinute);
  if (raw.rateLimitFailOpen !== undefined && typeof raw.rateLimitFailOpen !== 'boolean') {
    throw new StageConfigError(
      at('rateLimitFailOpen'),
      raw.rateLimitFailOpen,
      'true or false, or no key (public-facing functions fail closed, others open)',
    );
  }

  const origins = raw.corsAllowedOrigins;
  if (!Array.isArray(origins)) throw new StageConfigError(at('corsAllowedOrigins'), origins, 'a list of origins (may be empty)');
  origins.forEach((origin, i) => {
    if (typeof origin !== 'string' || !/^https?:\/\/[^/\s*]+$/.test(origin)) {
      throw new StageConfigError(
        `${at('corsAllowedOrigins')}[${i}]`,
        origin,
        "an origin such as 'https://chat.example.com' (scheme and host, no path, no wildcard)",
      );
    }
  });

  if (!BACKEND_KEYS.some((k) => raw[k] !== undefined)) {
    throw new StageConfigError(`stages.${name}`, raw, `at least one backend to deploy: ${BACKEND_KEYS.join(', ')} (e.g. "iamChat": {})`);
  }
  const iamChat = parseIamChat(raw.iamChat, at('iamChat'));
  const jwtChat = parseJwtChat(raw.jwtChat, at('jwtChat'));
  const guestRag = parseGuestRag(raw.guestRag, at('guestRag'));
  const callerCredentialsChat = parseCallerCredentialsChat(raw.callerCredentialsChat, at('callerCredentialsChat'), region);
  const bedrockAccess = parseBedrockAccess(raw.bedrockAccess, at('bedrockAccess'));
  const monitoring = parseMonitoring(raw.monitoring, at('monitoring'), region);
  const chatCompletions = parseChatCompletions(raw.chatCompletions, at('chatCompletions'), requestsPerMinute);
  const website = parseWebsite(raw.website, at('website'), region, jwtChat);
  if (website !== undefined && iamChat === undefined && guestRag === undefined && website.signInDomainPrefix === undefined) {
    throw new StageConfigError(
      at('website'),
      raw.website,
      'a backend the page can offer: iamChat, guestRag, or jwtChat with website.domainName and website.signInDomainPrefix (people sign in through that domain)',
    );
  }

  // Every backend but the agent-backed JWT chat answers with the stage's models.
  const needsModels =
    iamChat !== undefined ||
    guestRag !== undefined ||
    chatCompletions !== undefined ||
    (jwtChat !== undefined && jwtChat.agent === undefined) ||
    (callerCredentialsChat !== undefined && callerCredentialsChat.agent === undefined);
  const models = raw.models;
  if (models !== undefined || needsModels) {
    if (!isObject(models) || Object.keys(models).length === 0) {
      throw new StageConfigError(
        at('models'),
        models,
        'an object of alias → model id with at least one entry, e.g. { "haiku": "global.anthropic.claude-haiku-4-5-20251001-v1:0" }',
      );
    }
    for (const [alias, id] of Object.entries(models)) {
      if (!MODEL_ALIAS.test(alias)) throw new StageConfigError(`${at('models')}.${alias}`, id, `an alias of ${MODEL_ALIAS_RULE}`);
      if (typeof id !== 'string' || id.length === 0) throw new StageConfigError(`${at('models')}.${alias}`, id, 'a model id or inference profile id');
    }
  }

  const prices = parsePrices(raw.prices, at('prices'), Object.keys((models ?? {}) as object));
  if (chatCompletions?.costPerDayUsd !== undefined) {
    const unpriced = Object.keys(models as object).filter((alias) => prices?.[alias] === undefined);
    if (unpriced.length > 0) {
      throw new StageConfigError(
        at('chatCompletions.costPerDayUsd'),
        chatCompletions.costPerDayUsd,
        `a price for every model in ${at('prices')} (missing: ${unpriced.join(', ')}), or no cost budget`,
      );
    }
  }

  // The daily cost alarm watches the estimate, which needs every model's price (a model without one adds nothing).
  if (monitoring?.dailyCostUsd !== undefined) {
    const aliases = Object.keys((models ?? {}) as object);
    const unpriced = aliases.filter((alias) => prices?.[alias] === undefined);
    if (aliases.length === 0 || unpriced.length > 0) {
      throw new StageConfigError(
        at('monitoring.dailyCostUsd'),
        monitoring.dailyCostUsd,
        aliases.length === 0
          ? 'no setting here: no backend of this stage answers with priced models, so no function publishes an estimated cost'
          : `a price for every model in ${at('prices')} (missing: ${unpriced.join(', ')}): the alarm watches the estimated cost, which needs them`,
      );
    }
  }

  return {
    name,
    account: account as string | undefined,
    region,
    removalPolicy,
    logRetention: logRetentionDays as logs.RetentionDays,
    reservedConcurrency,
    requestsPerMinute,
    ...(raw.rateLimitFailOpen !== undefined ? { rateLimitFailOpen: raw.rateLimitFailOpen } : {}),
    corsAllowedOrigins: origins as string[],
    models: (models ?? {}) as Record<string, string>,
    ...(iamChat !== undefined ? { iamChat } : {}),
    ...(jwtChat !== undefined ? { jwtChat } : {}),
    ...(guestRag !== undefined ? { guestRag } : {}),
    ...(callerCredentialsChat !== undefined ? { callerCredentialsChat } : {}),
    ...(chatCompletions !== undefined ? { chatCompletions } : {}),
    ...(prices !== undefined ? { prices } : {}),
    ...(website !== undefined ? { website } : {}),
    ...(bedrockAccess !== undefined ? { bedrockAccess } : {}),
    ...(monitoring !== undefined ? { monitoring } : {}),
  };
}

function parseMonitoring(raw: unknown, key: string, region: string): StageMonitoringConfig | undefined {
  if (raw === undefined) return undefined;
  if (!isObject(raw)) throw new StageConfigError(key, raw, 'an object ({} watches every chat function with the default thresholds)');
  const unknown = Object.keys(raw).find((k) => !MONITORING_KEYS.includes(k));
  if (unknown !== undefined) throw new StageConfigError(`${key}.${unknown}`, raw[unknown], `no such setting (known: ${MONITORING_KEYS.join(', ')})`);
  const { alarmEmail, alarmTopicArn } = raw;
  if (alarmEmail !== undefined && (typeof alarmEmail !== 'string' || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(alarmEmail))) {
    throw new StageConfigError(`${key}.alarmEmail`, alarmEmail, 'an email address (it receives a subscription confirmation)');
  }
  if (alarmTopicArn !== undefined) {
    const match = typeof alarmTopicArn === 'string' ? /^arn:aws[\w-]*:sns:([a-z0-9-]+):\d{12}:[\w-]{1,256}$/.exec(alarmTopicArn) : null;
    if (!match) throw new StageConfigError(`${key}.alarmTopicArn`, alarmTopicArn, 'an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)');
    if (match[1] !== region) {
      throw new StageConfigError(
        `${key}.alarmTopicArn`,
        alarmTopicArn,
        `a topic in the stage's region ${region} (CloudWatch alarms notify topics of their own region)`,
      );
    }
    if (alarmEmail !== undefined) {
      throw new StageConfigError(`${key}.alarmEmail`, alarmEmail, 'no alarmEmail with alarmTopicArn: subscribe the address to your own topic');
    }
  }
  const number = (name: string, ok: (n: number) => boolean, expected: string): number | undefined => {
    const value = raw[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !ok(value)) throw new StageConfigError(`${key}.${name}`, value, expected);
    return value;
  };
  const percent = (name: string) => number(name, (n) => n > 0 && n <= 100, 'a percentage above 0 and at most 100');
  const dailyCostUsd = raw.dailyCostUsd === undefined ? undefined : usd(raw.dailyCostUsd, `${key}.dailyCostUsd`, false);
  const thresholds = {
    dailyCostUsd,
    serverErrorRatePercent: percent('serverErrorRatePercent'),
    upstreamErrorRatePercent: percent('upstreamErrorRatePercent'),
    concurrencyPercentOfReserved: percent('concurrencyPercentOfReserved'),
    upstreamThrottles: number('upstreamThrottles', (n) => Number.isInteger(n) && n >= 0, 'a whole number of throttled requests in 5 minutes'),
    timeToFirstTokenP99Ms: number('timeToFirstTokenP99Ms', (n) => Number.isInteger(n) && n > 0, 'a whole number of milliseconds above 0'),
  };
  return {
    ...(alarmEmail !== undefined ? { alarmEmail: alarmEmail as string } : {}),
    ...(alarmTopicArn !== undefined ? { alarmTopicArn: alarmTopicArn as string } : {}),
    ...Object.fromEntries(Object.entries(thresholds).filter(([, v]) => v !== undefined)),
  };
}

function parseBedrockAccess(raw: unknown, key: string): StageBedrockAccessConfig | undefined {
  if (raw === undefined) return undefined;
  if (!isObject(raw)) throw new StageConfigError(key, raw, 'an object { "roleArn", "externalId"? }');
  const unknown = Object.keys(raw).find((k) => !['roleArn', 'externalId'].includes(k));
  if (unknown !== undefined) throw new StageConfigError(`${key}.${unknown}`, raw[unknown], 'no such setting (known: roleArn, externalId)');
  const { roleArn, externalId } = raw;
  if (typeof roleArn !== 'string' || !IAM_ROLE_ARN.test(roleArn)) {
    throw new StageConfigError(`${key}.roleArn`, roleArn, 'an IAM role ARN such as arn:aws:iam::222222222222:role/ChatBedrockAccess');
  }
  if (externalId !== undefined && (typeof externalId !== 'string' || !EXTERNAL_ID.test(externalId))) {
    throw new StageConfigError(`${key}.externalId`, externalId, '2 to 1224 of A-Z a-z 0-9 + = , . @ : / - _, or no externalId key');
  }
  return { roleArn, ...(externalId !== undefined ? { externalId: externalId as string } : {}) };
}

function parseCallerCredentialsChat(raw: unknown, key: string, stageRegion: string): CallerCredentialsChatConfig | undefined {
  if (raw === undefined) return undefined;
  if (!isObject(raw)) throw new StageConfigError(key, raw, 'an object ({} deploys a public model chat on the stage models, in the stage region)');
  const unknown = Object.keys(raw).find((k) => !CALLER_CREDENTIALS_KEYS.includes(k));
  if (unknown !== undefined) {
    throw new StageConfigError(`${key}.${unknown}`, raw[unknown], `no such setting (known: ${CALLER_CREDENTIALS_KEYS.join(', ')})`);
  }
  const auth = raw.auth ?? 'public';
  if (auth !== 'public' && auth !== 'jwt') throw new StageConfigError(`${key}.auth`, auth, "'public' or 'jwt'");
  const { issuer, audience } = raw;
  if (auth === 'jwt') {
    if (typeof issuer !== 'string' || !/^https:\/\/[^\s]+$/.test(issuer))
      throw new StageConfigError(`${key}.issuer`, issuer, 'with auth jwt, an https URL');
    if (typeof audience !== 'string' || audience === '') throw new StageConfigError(`${key}.audience`, audience, 'with auth jwt, a non-empty string');
  } else {
    for (const k of ['issuer', 'audience', 'requiredClaims']) {
      if (raw[k] !== undefined) throw new StageConfigError(`${key}.${k}`, raw[k], 'no such setting with a public URL (set auth to jwt)');
    }
  }
  const claims = raw.requiredClaims ?? [];
  if (!Array.isArray(claims) || claims.some((c) => typeof c !== 'string' || !CLAIM_NAME.test(c))) {
    throw new StageConfigError(`${key}.requiredClaims`, claims, 'a list of claim names, e.g. ["email"]');
  }
  const regions = raw.allowedRegions ?? [stageRegion];
  if (
    !Array.isArray(regions) ||
    regions.length === 0 ||
    regions.some((r) => typeof r !== 'string' || !REGION.test(r)) ||
    new Set(regions).size !== regions.length
  ) {
    throw new StageConfigError(
      `${key}.allowedRegions`,
      regions,
      'a non-empty list of distinct AWS regions, e.g. ["us-east-1"] (no key: the stage region)',
    );
  }
  const agent = parseCallerCredentialsAgent(raw.agent, `${key}.agent`);
  return {
    auth,
    ...(auth === 'jwt' ? { issuer: issuer as string, audience: audience as string } : {}),
    requiredClaims: claims as string[],
    allowedRegions: regions as string[],
    ...(agent !== undefined ? { agent } : {}),
  };
}

function parseCallerCredentialsAgent(raw: unknown, key: string): CallerCredentialsAgentConfig | undefined {
  if (raw === undefined) return undefined;
  const shape = '{ "agentId", "agentAliasId" } (a fixed alias), { "allowCallerChoice": true } (each caller names one), or both';
  if (!isObject(raw)) throw new StageConfigError(key, raw, shape);
  const unknown = Object.keys(raw).find((k) => !['agentId', 'agentAliasId', 'allowCallerChoice'].includes(k));
  if (unknown !== undefined)
    throw new StageConfigError(`${key}.${unknown}`, raw[unknown], 'no such setting (known: agentId, agentAliasId, allowCallerChoice)');
  const allowCallerChoice = raw.allowCallerChoice ?? false;
  if (typeof allowCallerChoice !== 'boolean') throw new StageConfigError(`${key}.allowCallerChoice`, allowCallerChoice, 'true or false');
  for (const k of ['agentId', 'agentAliasId']) {
    if (raw[k] !== undefined && (typeof raw[k] !== 'string' || !AGENT_RESOURCE_ID.test(raw[k] as string))) {
      throw new StageConfigError(`${key}.${k}`, raw[k], 'a Bedrock agent or alias id: 1 to 10 letters or digits');
    }
  }
  if ((raw.agentId === undefined) !== (raw.agentAliasId === undefined)) {
    throw new StageConfigError(
      `${key}.${raw.agentId === undefined ? 'agentId' : 'agentAliasId'}`,
      undefined,
      'agentId and agentAliasId together, or neither',
    );
  }
  if (raw.agentId === undefined && !allowCallerChoice) throw new StageConfigError(key, raw, shape);
  return {
    ...(raw.agentId !== undefined ? { agentId: raw.agentId as string, agentAliasId: raw.agentAliasId as string } : {}),
    allowCallerChoice,
  };
}

function parseIamChat(raw: unknown, key: string): IamChatConfig | undefined {
  if (raw === undefined) return undefined;
  if (!isObject(raw)) throw new StageConfigError(key, raw, 'an object ({} deploys the IAM chat with the stage settings)');
  const unknown = Object.keys(raw)[0];
  if (unknown !== undefined) throw new StageConfigError(`${key}.${unknown}`, raw[unknown], 'no such setting (the IAM chat takes the stage settings)');
  return {};
}

function parseWebsite(raw: unknown, key: string, region: string, jwtChat: JwtChatConfig | undefined): WebsiteConfig | undefined {
  if (raw === undefined) return undefined;
  if (!isObject(raw)) throw new StageConfigError(key, raw, "an object ({} serves the page at the distribution's own domain name)");
  const unknown = Object.keys(raw).find((k) => !WEBSITE_KEYS.includes(k));
  if (unknown !== undefined) throw new StageConfigError(`${key}.${unknown}`, raw[unknown], `no such setting (known: ${WEBSITE_KEYS.join(', ')})`);
  const { domainName, certificateArn, firewall, signInDomainPrefix, signedInChatPath } = raw;
  if (
    domainName !== undefined &&
    (typeof domainName !== 'string' || !/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(domainName))
  ) {
    throw new StageConfigError(`${key}.domainName`, domainName, "a lower-case domain name such as 'chat.example.com'");
  }
  if (
    certificateArn !== undefined &&
    (typeof certificateArn !== 'string' || !/^arn:aws[\w-]*:acm:us-east-1:\d{12}:certificate\/[\w-]+$/.test(certificateArn))
  ) {
    throw new StageConfigError(
      `${key}.certificateArn`,
      certificateArn,
      'an ACM certificate ARN in us-east-1 (CloudFront reads certificates there only)',
    );
  }
  if ((domainName === undefined) !== (certificateArn === undefined)) {
    throw new StageConfigError(
      `${key}.${domainName === undefined ? 'domainName' : 'certificateArn'}`,
      undefined,
      'domainName and certificateArn together, or neither',
    );
  }
  if (firewall !== undefined) {
    const arn = typeof firewall === 'string' && /^arn:aws[\w-]*:wafv2:us-east-1:\d{12}:global\/webacl\/.+/.test(firewall);
    if (firewall !== 'create' && !arn) {
      throw new StageConfigError(
        `${key}.firewall`,
        firewall,
        "'create', or the ARN of a CloudFront web ACL (arn:aws:wafv2:us-east-1:<account>:global/webacl/…)",
      );
    }
    if (firewall === 'create' && region !== 'us-east-1') {
      throw new StageConfigError(
        `${key}.firewall`,
        firewall,
        `a web ACL ARN: CloudFront web ACLs are created in us-east-1, and this stage is in ${region}`,
      );
    }
  }
  if (signInDomainPrefix !== undefined) {
    if (
      typeof signInDomainPrefix !== 'string' ||
      !/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(signInDomainPrefix) ||
      /aws|amazon|cognito/.test(signInDomainPrefix)
    ) {
      throw new StageConfigError(
        `${key}.signInDomainPrefix`,
        signInDomainPrefix,
        "lower-case letters, digits and dashes, without 'aws', 'amazon' or 'cognito'",
      );
    }
    if (domainName === undefined || jwtChat === undefined || jwtChat.issuer !== undefined) {
      throw new StageConfigError(
        `${key}.signInDomainPrefix`,
        signInDomainPrefix,
        'no setting here unless the stage has website.domainName and a jwtChat with its own user pool (no issuer): the sign-in needs both',
      );
    }
  }
  if (signedInChatPath !== undefined) {
    if (typeof signedInChatPath !== 'string' || !DISTRIBUTION_PATH.test(signedInChatPath)) {
      throw new StageConfigError(
        `${key}.signedInChatPath`,
        signedInChatPath,
        "a path such as '/api/chat' (lower-case letters, digits, dashes; no trailing slash)",
      );
    }
    if (signInDomainPrefix === undefined) {
      throw new StageConfigError(
        `${key}.signedInChatPath`,
        signedInChatPath,
        'no setting here without website.signInDomainPrefix: the page offers the signed-in chat only with a sign-in',
      );
    }
  }
  return {
    ...(signedInChatPath !== undefined ? { signedInChatPath: signedInChatPath as string } : {}),
    ...(domainName !== undefined ? { domainName: domainName as string, certificateArn: certificateArn as string } : {}),
    ...(firewall !== undefined ? { firewall: firewall as string } : {}),
    ...(signInDomainPrefix !== undefined ? { signInDomainPrefix: signInDomainPrefix as string } : {}),
  };
}

function parseGuestRag(raw: unknown, key: string): GuestRagConfig | undefined {
  if (raw === undefined) return undefined;
  if (!isObject(raw)) throw new StageConfigError(key, raw, 'an object');
  const unknown = Object.keys(raw).find((k) => !GUEST_RAG_KEYS.includes(k));
  if (unknown !== undefined) throw new StageConfigError(`${key}.${unknown}`, raw[unknown], `no such setting (known: ${GUEST_RAG_KEYS.join(', ')})`);
  const numberOfResults =
    raw.numberOfResults === undefined
      ? DEFAULTS.retrievalResults
      : positiveInteger(raw.numberOfResults, `${key}.numberOfResults`, LIMITS.maxRetrievalResults);
  const minScore = raw.minScore ?? DEFAULTS.retrievalMinScore;
  if (typeof minScore !== 'number' || !(minScore >= 0 && minScore <= 1))
    throw new StageConfigError(`${key}.minScore`, minScore, 'a number from 0 to 1');
  const threshold = (name: 'groundingThreshold' | 'relevanceThreshold'): number => {
    const value = raw[name] === undefined ? GUEST_RAG_GROUNDING[name] : raw[name];
    if (typeof value !== 'number' || !(value >= 0 && value <= GROUNDING_LIMITS.maxThreshold)) {
      throw new StageConfigError(`${key}.${name}`, value, `a number from 0 to ${GROUNDING_LIMITS.maxThreshold} (1 would block every answer)`);
    }
    return value;
  };
  return { numberOfResults, minScore, groundingThreshold: threshold('groundingThreshold'), relevanceThreshold: threshold('relevanceThreshold') };
}

function parseJwtChat(raw: unknown, key: string): JwtChatConfig | undefined {
  if (raw === undefined) return undefined;
  if (!isObject(raw)) throw new StageConfigError(key, raw, 'an object');
  const unknown = Object.keys(raw).find((k) => !JWT_KEYS.includes(k));
  if (unknown !== undefined) throw new StageConfigError(`${key}.${unknown}`, raw[unknown], `no such setting (known: ${JWT_KEYS.join(', ')})`);
  const { issuer, audience, agent } = raw;
  if ((issuer === undefined) !== (audience === undefined)) {
    throw new StageConfigError(
      `${key}.${issuer === undefined ? 'issuer' : 'audience'}`,
      undefined,
      'issuer and audience together (an external issuer), or neither (a Cognito user pool in the stack)',
    );
  }
  if (issuer !== undefined && (typeof issuer !== 'string' || !/^https:\/\/[^\s]+$/.test(issuer)))
    throw new StageConfigError(`${key}.issuer`, issuer, 'an https URL');
  if (audience !== undefined && (typeof audience !== 'string' || audience === ''))
    throw new StageConfigError(`${key}.audience`, audience, 'a non-empty string');
  const claims = raw.requiredClaims ?? [];
  if (!Array.isArray(claims) || claims.some((c) => typeof c !== 'string' || !CLAIM_NAME.test(c))) {
    throw new StageConfigError(`${key}.requiredClaims`, claims, 'a list of claim names, e.g. ["email"]');
  }
  // The stage's own user pool: the chat verifies access tokens, which never carry the profile claims.
  const idTokenOnly = issuer === undefined ? (claims as string[]).filter((c) => COGNITO_ID_TOKEN_ONLY_CLAIMS.includes(c)) : [];
  if (idTokenOnly.length > 0) {
    throw new StageConfigError(
      `${key}.requiredClaims`,
      claims,
      `claims a Cognito access token carries (the chat verifies the stage's user pool's access tokens, which never carry ${idTokenOnly.join(', ')}; ` +
        'the chats belong to the token\'s sub), e.g. [] or ["cognito:groups"]',
    );
  }
  const selfSignUp = raw.selfSignUp ?? false;
  if (typeof selfSignUp !== 'boolean') throw new StageConfigError(`${key}.selfSignUp`, selfSignUp, 'true or false');
  const maxTokenAge = raw.maxTokenAgeMinutes;
  if (maxTokenAge !== undefined) {
    if (issuer === undefined) {
      throw new StageConfigError(
        `${key}.maxTokenAgeMinutes`,
        maxTokenAge,
        "no setting here without an external issuer: the stage's own user pool issues tokens valid one hour",
      );
    }
    positiveInteger(maxTokenAge, `${key}.maxTokenAgeMinutes`, LIMITS.maxTokenAgeSeconds / 60);
  }
  if (agent !== undefined) {
    if (!isObject(agent)) throw new StageConfigError(`${key}.agent`, agent, 'an object { "agentId", "agentAliasId" }');
    for (const k of ['agentId', 'agentAliasId']) {
      if (typeof agent[k] !== 'string' || !AGENT_RESOURCE_ID.test(agent[k] as string))
        throw new StageConfigError(`${key}.agent.${k}`, agent[k], 'a Bedrock agent or alias id: 1 to 10 letters or digits');
    }
  }
  const historyRetentionDays =
    raw.historyRetention === undefined
      ? DEFAULT_HISTORY_RETENTION_DAYS
      : positiveInteger(raw.historyRetention, `${key}.historyRetention`, LIMITS.maxHistoryRetentionDays);
  return {
    ...(issuer !== undefined ? { issuer: issuer as string, audience: audience as string } : {}),
    requiredClaims: claims as string[],
    ...(maxTokenAge !== undefined ? { maxTokenAgeMinutes: maxTokenAge as number } : {}),
    selfSignUp,
    historyRetentionDays,
    ...(agent !== undefined ? { agent: agent as { agentId: string; agentAliasId: string } } : {}),
  };
}

function parseChatCompletions(raw: unknown, key: string, stageRequestsPerMinute: number): ChatCompletionsConfig | undefined {
  if (raw === undefined) return undefined;
  if (!isObject(raw)) throw new StageConfigError(key, raw, 'an object ({} deploys the API with API keys and the stage settings)');
  const unknown = Object.keys(raw).find((k) => !COMPLETIONS_KEYS.includes(k));
  if (unknown !== undefined) throw new StageConfigError(`${key}.${unknown}`, raw[unknown], `no such setting (known: ${COMPLETIONS_KEYS.join(', ')})`);
  const auth = raw.auth ?? 'apiKeys';
  if (auth !== 'apiKeys' && auth !== 'jwt') throw new StageConfigError(`${key}.auth`, auth, "'apiKeys' (the default) or 'jwt'");
  const { issuer, audience } = raw;
  if (auth === 'jwt') {
    if (typeof issuer !== 'string' || !/^https:\/\/[^\s]+$/.test(issuer)) {
      throw new StageConfigError(`${key}.issuer`, issuer, "the OIDC issuer's https URL (auth 'jwt' takes tokens of an external issuer)");
    }
    if (typeof audience !== 'string' || audience === '') throw new StageConfigError(`${key}.audience`, audience, 'a non-empty string');
  } else {
    for (const k of ['issuer', 'audience', 'requiredClaims']) {
      if (raw[k] !== undefined) throw new StageConfigError(`${key}.${k}`, raw[k], "no setting here unless auth is 'jwt'");
    }
  }
  const claims = raw.requiredClaims;
  if (claims !== undefined && (!Array.isArray(claims) || claims.some((c) => typeof c !== 'string' || !CLAIM_NAME.test(c)))) {
    throw new StageConfigError(`${key}.requiredClaims`, claims, 'a list of claim names, e.g. ["email"]');
  }
  const maxTokens = raw.maxTokens === undefined ? DEFAULTS.maxTokens : positiveInteger(raw.maxTokens, `${key}.maxTokens`, LIMITS.maxTokens);
  const requestsPerMinute =
    raw.requestsPerMinute === undefined
      ? stageRequestsPerMinute
      : positiveInteger(raw.requestsPerMinute, `${key}.requestsPerMinute`, LIMITS.maxRequestsPerMinute);
  const tokensPerDay = raw.tokensPerDay === undefined ? undefined : positiveInteger(raw.tokensPerDay, `${key}.tokensPerDay`, LIMITS.maxTokensPerDay);
  const costPerDayUsd = raw.costPerDayUsd === undefined ? undefined : usd(raw.costPerDayUsd, `${key}.costPerDayUsd`, false);
  return {
    auth,
    ...(auth === 'jwt' ? { issuer: issuer as string, audience: audience as string } : {}),
    ...(claims !== undefined ? { requiredClaims: claims as string[] } : {}),
    maxTokens,
    requestsPerMinute,
    ...(tokensPerDay !== undefined ? { tokensPerDay } : {}),
    ...(costPerDayUsd !== undefined ? { costPerDayUsd } : {}),
  };
}

function parsePrices(raw: unknown, key: string, aliases: readonly string[]): Record<string, StagePrice> | undefined {
  if (raw === undefined) return undefined;
  if (!isObject(raw))
    throw new StageConfigError(
      key,
      raw,
      'an object of model alias → { "input", "output", "cacheRead"?, "cacheWrite"? } (US dollars per million tokens)',
    );
  return Object.fromEntries(
    Object.entries(raw).map(([alias, price]) => {
      const at = `${key}.${alias}`;
      if (!aliases.includes(alias)) throw new StageConfigError(at, price, `a price of one of the stage's models (${aliases.join(', ')})`);
      if (!isObject(price))
        throw new StageConfigError(at, price, 'an object { "input", "output", "cacheRead"?, "cacheWrite"? } in US dollars per million tokens');
      const unknown = Object.keys(price).find((k) => !PRICE_KEYS.includes(k));
      if (unknown !== undefined) throw new StageConfigError(`${at}.${unknown}`, price[unknown], `no such price (known: ${PRICE_KEYS.join(', ')})`);
      const parsed: StagePrice = {
        input: usd(price.input, `${at}.input`, true),
        output: usd(price.output, `${at}.output`, true),
        ...(price.cacheRead !== undefined ? { cacheRead: usd(price.cacheRead, `${at}.cacheRead`, true) } : {}),
        ...(price.cacheWrite !== undefined ? { cacheWrite: usd(price.cacheWrite, `${at}.cacheWrite`, true) } : {}),
      };
      return [alias, parsed];
    }),
  );
}

/** US dollars: more than 0 (or 0 too, for a price) and at most `LIMITS.maxUsd`. */
function usd(value: unknown, key: string, zeroAllowed: boolean): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (!zeroAllowed && value === 0) || value > LIMITS.maxUsd) {
    throw new StageConfigError(key, value, `US dollars, ${zeroAllowed ? 'from 0' : 'more than 0'} to ${LIMITS.maxUsd}`);
  }
  return value;
}

function positiveInteger(value: unknown, key: string, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw new StageConfigError(key, value, `a whole number from 1 to ${max}`);
  }
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
