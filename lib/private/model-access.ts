import { Token, TokenComparison } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { GEOGRAPHY_REGIONS, GLOBAL_GEOGRAPHY, parseInferenceProfileId } from './inference-geography';
import { ValidationError } from './validation';

/** Where the caller runs: the partition, region and account of its stack (tokens allowed). */
export interface ModelAccessScope {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
}

/** The `bedrock:` actions each Bedrock Runtime operation needs. */
export const BEDROCK_ACTIONS = {
  /** `ConverseStream` and `InvokeModelWithResponseStream`. */
  converseStream: 'bedrock:InvokeModelWithResponseStream',
  /** `Converse` and `InvokeModel`. */
  converse: 'bedrock:InvokeModel',
} as const;

/** The IAM condition key that holds the profile a request came through (Amazon Bedrock User Guide, inference profiles). */
const INFERENCE_PROFILE_ARN = 'bedrock:InferenceProfileArn';

/** A foundation model id: `<provider>.<model>`. */
export const FOUNDATION_MODEL_ID = /^[a-z0-9-]+\.[a-z0-9][a-z0-9.:-]*$/;

/** What a model alias invokes, as far as IAM and the runtime are concerned. */
export type ModelTarget =
  /** A foundation model invoked in the caller's region. */
  | { readonly kind: 'foundation-model'; readonly modelId: string }
  /** A system-defined cross-region inference profile (`us.…`, `global.…`). */
  | {
      readonly kind: 'system-profile';
      readonly profileId: string;
      readonly modelId: string;
      readonly geography: string;
      readonly destinationRegions?: readonly string[];
    }
  /** An application inference profile (a tagged copy of a foundation model or system profile, for cost allocation). */
  | { readonly kind: 'application-profile'; readonly profileArn: string; readonly source: ModelTarget }
  /** A prompt router, which picks one of its models per request. */
  | { readonly kind: 'prompt-router'; readonly routerArn: string; readonly routed: readonly ModelTarget[] };

/** The `modelId` the runtime passes to ConverseStream for `target` (written into `CHAT_MODELS`). */
export function invocationId(target: ModelTarget): string {
  switch (target.kind) {
    case 'foundation-model':
      return target.modelId;
    case 'system-profile':
      return target.profileId;
    case 'application-profile':
      return target.profileArn;
    case 'prompt-router':
      return target.routerArn;
  }
}

export function foundationModelArn(scope: ModelAccessScope, region: string, modelId: string): string {
  return `arn:${scope.partition}:bedrock:${region}::foundation-model/${modelId}`;
}

export function inferenceProfileArn(scope: ModelAccessScope, profileId: string): string {
  return `arn:${scope.partition}:bedrock:${scope.region}:${scope.account}:inference-profile/${profileId}`;
}

/**
 * The least-privilege statements that let a principal call `actions` on one model:
 *
 * - a foundation model: that model's ARN in the caller's region;
 * - a geographic profile (`us.`, `eu.`, …): the profile's ARN in the caller's region, and the foundation model's ARN
 *   in each destination region, usable only through that profile (`bedrock:InferenceProfileArn`);
 * - a `global.` profile: the profile's ARN, the foundation model in the caller's region, and the region-less
 *   foundation-model ARN that IAM evaluates for requests routed outside the caller's geography
 *   (`aws:RequestedRegion` = `unspecified`), again only through the profile;
 * - an application inference profile: its own ARN, and the statements of its source (a foundation model or a system
 *   profile) each usable only through the application profile, so the tagged profile cannot be bypassed;
 * - a prompt router: its own ARN and the statements of each model it routes to.
 *
 * Source: Amazon Bedrock User Guide, "Geographic cross-Region inference", "Global cross-Region inference" (IAM
 * policy requirements) and "Prerequisites for inference profiles" (the `bedrock:InferenceProfileArn` condition).
 */
export function modelAccessStatements(target: ModelTarget, actions: string[], scope: ModelAccessScope, through?: string): iam.PolicyStatement[] {
  const statement = (resources: string[], via?: string, extra: Record<string, string> = {}) =>
    new iam.PolicyStatement({
      actions,
      resources,
      conditions: via !== undefined ? { StringEquals: { [INFERENCE_PROFILE_ARN]: via, ...extra } } : undefined,
    });
  switch (target.kind) {
    case 'foundation-model':
      return [statement([foundationModelArn(scope, scope.region, target.modelId)], through)];
    case 'system-profile': {
      assertRegionInGeography(target, scope.region);
      const profileArn = inferenceProfileArn(scope, target.profileId);
      const via = through ?? profileArn;
      if (target.geography === GLOBAL_GEOGRAPHY) {
        return [
          statement([profileArn], through),
          statement([foundationModelArn(scope, scope.region, target.modelId)], via),
          statement([foundationModelArn(scope, '', target.modelId)], via, { 'aws:RequestedRegion': 'unspecified' }),
        ];
      }
      const regions = target.destinationRegions ?? GEOGRAPHY_REGIONS[target.geography];
      return [
        statement([profileArn], through),
        statement(
          regions.map((region) => foundationModelArn(scope, region, target.modelId)),
          via,
        ),
      ];
    }
    case 'application-profile':
      return [statement([target.profileArn]), ...modelAccessStatements(target.source, actions, scope, target.profileArn)];
    case 'prompt-router':
      return [statement([target.routerArn]), ...target.routed.flatMap((routed) => modelAccessStatements(routed, actions, scope))];
  }
}

/** A geographic profile can only be called from a region of its own geography. */
function assertRegionInGeography(target: Extract<ModelTarget, { kind: 'system-profile' }>, region: string): void {
  const regions = target.geography === GLOBAL_GEOGRAPHY ? undefined : (target.destinationRegions ?? GEOGRAPHY_REGIONS[target.geography]);
  if (Token.isUnresolved(region) || !regions) return;
  if (!regions.includes(region)) {
    throw new ValidationError(
      `Inference profile '${target.profileId}' routes within [${regions.join(', ')}], ` +
        `which does not include this stack's region ${region}: use the profile of this region's geography, ` +
        'a global. profile, or deploy the stack to a region the profile serves',
    );
  }
}

/** The parts of a Bedrock ARN that can be read at synth time (any part may hold a token). */
interface BedrockArn {
  readonly region: string;
  readonly account: string;
  readonly resourceType: string;
  readonly resourceId: string;
}

/** `arn:<partition>:bedrock:<region>:<account>:<type>/<id>`, or undefined when the ARN is an opaque token. */
export function parseBedrockArn(arn: string): BedrockArn | undefined {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn' || parts[2] !== 'bedrock') return undefined;
  const resource = parts.slice(5).join(':');
  const slash = resource.indexOf('/');
  if (slash < 1 || Token.isUnresolved(resource.slice(0, slash))) return undefined;
  return { region: parts[3], account: parts[4], resourceType: resource.slice(0, slash), resourceId: resource.slice(slash + 1) };
}

/** The shape of aws-bedrock-alpha's `IBedrockInvokable` (and of this library's `BedrockModel`). */
export interface Invokable {
  readonly invokableArn: string;
}

/**
 * What `model` invokes: a `BedrockModel` knows; anything else shaped like aws-bedrock-alpha's `IBedrockInvokable`
 * (foundation model, cross-region profile, application profile, prompt router) is read from its ARN, and for
 * application profiles and routers from the source or routed models they carry (`inferenceProfileModel`,
 * `routingEndpoints`). Its own `grantInvoke` is never called: this library grants exact actions only.
 */
export function modelTargetOf(model: Invokable, where: string, region: string): ModelTarget {
  const target = (model as { _target?: ModelTarget })._target ?? foreignTarget(model, where, region);
  assertArnsInRegion(target, where, region);
  return target;
}

/** Application profiles and routers are regional: ConverseStream runs in the function's region. */
function assertArnsInRegion(target: ModelTarget, where: string, region: string): void {
  if (target.kind === 'application-profile' || target.kind === 'prompt-router') {
    const arn = target.kind === 'application-profile' ? target.profileArn : target.routerArn;
    const parsed = parseBedrockArn(arn);
    if (parsed && Token.compareStrings(parsed.region, region) === TokenComparison.DIFFERENT) {
      throw new ValidationError(`${where}: ${showArn(arn)} is in ${parsed.region}, but the function runs in ${region}: use one in ${region}`);
    }
  }
  if (target.kind === 'application-profile') assertArnsInRegion(target.source, where, region);
  if (target.kind === 'prompt-router') for (const routed of target.routed) assertArnsInRegion(routed, where, region);
}

function foreignTarget(model: Invokable, where: string, region: string): ModelTarget {
  const arn = model.invokableArn;
  const fail = (message: string): never => {
    throw new ValidationError(`${where}: ${message}`);
  };
  const parsed = parseBedrockArn(arn);
  const source = (model as { inferenceProfileModel?: Invokable }).inferenceProfileModel;
  const routed = (model as { routingEndpoints?: Invokable[] }).routingEndpoints;
  if (!parsed) {
    if (source) return { kind: 'application-profile', profileArn: arn, source: modelTargetOf(source, where, region) };
    return fail(
      `cannot tell which Bedrock resource ${showArn(arn)} is (its ARN is only known at deploy time); ` +
        'wrap it: BedrockModel.applicationInferenceProfile(arn, sourceModel) or BedrockModel.promptRouter(arn, routedModels)',
    );
  }
  const sameRegion = (what: string) => {
    if (parsed.region !== '' && Token.compareStrings(parsed.region, region) === TokenComparison.DIFFERENT) {
      fail(`${what} ${showArn(arn)} is in ${parsed.region}, but the function runs in ${region}: use one in ${region}`);
    }
  };
  switch (parsed.resourceType) {
    case 'foundation-model':
      sameRegion('the foundation model');
      if (!FOUNDATION_MODEL_ID.test(parsed.resourceId)) fail(`'${parsed.resourceId}' is not a foundation model id`);
      return { kind: 'foundation-model', modelId: parsed.resourceId };
    case 'inference-profile': {
      sameRegion('the inference profile');
      const profile = parseInferenceProfileId(parsed.resourceId);
      if (!profile) return fail(`'${parsed.resourceId}' is not a cross-region inference profile id`);
      return { kind: 'system-profile', profileId: parsed.resourceId, modelId: profile.modelId, geography: profile.geography };
    }
    case 'application-inference-profile':
      if (!source)
        return fail(
          `the source model of the application inference profile ${showArn(arn)} is unknown: use BedrockModel.applicationInferenceProfile(arn, sourceModel)`,
        );
      return { kind: 'application-profile', profileArn: arn, source: modelTargetOf(source, where, region) };
    case 'default-prompt-router':
    case 'prompt-router':
      if (!routed || routed.length === 0)
        return fail(`the models the prompt router ${showArn(arn)} routes to are unknown: use BedrockModel.promptRouter(arn, routedModels)`);
      return { kind: 'prompt-router', routerArn: arn, routed: routed.map((r) => modelTargetOf(r, where, region)) };
    default:
      return fail(
        `${showArn(arn)} is a Bedrock ${parsed.resourceType}; a chat model is a foundation model, an inference profile (system or application) or a prompt router`,
      );
  }
}

function showArn(arn: string): string {
  return Token.isUnresolved(arn) ? `'${arn.replace(/\$\{Token\[([^\]]+)\]\}/g, '<$1>')}'` : `'${arn}'`;
}
