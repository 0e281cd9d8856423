import { Aws, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { REGION } from '../../contract/patterns';
import { GEOGRAPHY_REGIONS, GLOBAL_GEOGRAPHY, parseInferenceProfileId } from '../private/inference-geography';
import {
  BEDROCK_ACTIONS,
  FOUNDATION_MODEL_ID,
  invocationId,
  ModelAccessScope,
  ModelTarget,
  modelAccessStatements,
  modelTargetOf,
} from '../private/model-access';
import { ValidationError } from '../private/validation';

/**
 * Something a chat function can invoke with `ConverseStream`: the same shape as `IBedrockInvokable` of
 * `@aws-cdk/aws-bedrock-alpha`, so that package's foundation models, cross-region and application inference
 * profiles and prompt routers can be passed as they are (this library reads what they are from their ARN and
 * grants its own exact statements; their `grantInvoke` is not called by the chat function).
 */
export interface IBedrockInvokable {
  /** The ARN a request names, e.g. `arn:aws:bedrock:us-east-1:111122223333:inference-profile/us.amazon.nova-lite-v1:0`. */
  readonly invokableArn: string;
  /** Lets `grantee` invoke the model. */
  grantInvoke(grantee: iam.IGrantable): iam.Grant;
}

/** Options for a cross-region inference profile. */
export interface InferenceProfileOptions {
  /**
   * The regions this profile routes requests to; the grant names the foundation model in each.
   * Give the exact list from the model's row in "Supported Regions and models for inference
   * profiles" to grant no region the profile cannot reach.
   *
   * @default - every region of the profile's geography (ignored for `global.` profiles, which IAM
   * sees with no region)
   */
  readonly destinationRegions?: string[];
}

const APPLICATION_PROFILE_ARN = /^arn:[a-z-]+:bedrock:[a-z0-9-]+:\d{12}:application-inference-profile\/[a-zA-Z0-9]+$/;
const PROMPT_ROUTER_ARN = /^arn:[a-z-]+:bedrock:[a-z0-9-]+:\d{12}:(default-)?prompt-router\/[a-zA-Z0-9.:-]+$/;

/**
 * A Bedrock model a chat function may invoke: an on-demand foundation model in the stack's region, a
 * system-defined cross-region inference profile (`us.`, `eu.`, `apac.`, `jp.`, `au.`, `ca.`, `us-gov.` or
 * `global.`), an application inference profile (a tagged copy of either, to allocate cost per tenant or team) or a
 * prompt router.
 *
 * Newer models (Claude 4.x among them) are only offered on demand through an inference profile.
 */
export class BedrockModel implements IBedrockInvokable {
  /** An inference profile id (`us.…`, `global.…`) or else a foundation model id, as written in configuration. */
  public static fromId(id: string): BedrockModel {
    return parseInferenceProfileId(id) ? BedrockModel.inferenceProfile(id) : BedrockModel.foundationModel(id);
  }

  /** A foundation model invoked directly in the stack's region, e.g. `amazon.nova-lite-v1:0`. */
  public static foundationModel(modelId: string): BedrockModel {
    if (!Token.isUnresolved(modelId) && (!FOUNDATION_MODEL_ID.test(modelId) || parseInferenceProfileId(modelId))) {
      throw new ValidationError(
        `BedrockModel.foundationModel: '${modelId}' is not a foundation model id ` +
          "(expected '<provider>.<model>', e.g. 'amazon.nova-lite-v1:0'; use BedrockModel.inferenceProfile for 'us.…', 'global.…' ids)",
      );
    }
    return new BedrockModel({ kind: 'foundation-model', modelId });
  }

  /** A system-defined cross-region inference profile, e.g. `global.anthropic.claude-sonnet-4-6`. */
  public static inferenceProfile(profileId: string, options: InferenceProfileOptions = {}): BedrockModel {
    const parsed = parseInferenceProfileId(profileId);
    if (!parsed || !FOUNDATION_MODEL_ID.test(parsed.modelId)) {
      throw new ValidationError(
        `BedrockModel.inferenceProfile: '${profileId}' is not a cross-region inference profile id ` +
          `(expected '<geography>.<provider>.<model>' with geography one of ${[GLOBAL_GEOGRAPHY, ...Object.keys(GEOGRAPHY_REGIONS)].join(', ')})`,
      );
    }
    let destinationRegions: readonly string[] | undefined;
    if (parsed.geography !== GLOBAL_GEOGRAPHY) {
      destinationRegions = options.destinationRegions ?? GEOGRAPHY_REGIONS[parsed.geography];
      const bad = destinationRegions.filter((r) => !REGION.test(r));
      if (destinationRegions.length === 0 || bad.length > 0) {
        throw new ValidationError(
          `BedrockModel.inferenceProfile('${profileId}'): destinationRegions must be region names, got ${JSON.stringify(destinationRegions)}`,
        );
      }
    }
    return new BedrockModel({ kind: 'system-profile', profileId, modelId: parsed.modelId, geography: parsed.geography, destinationRegions });
  }

  /**
   * An application inference profile: a copy of a foundation model or of a system-defined inference profile that
   * carries your tags, so Cost Explorer and CloudWatch show usage per tenant or team.
   *
   * The grant names the profile, and the source's ARNs only through this profile (`bedrock:InferenceProfileArn`),
   * so a function cannot bypass the tagged profile by calling the source directly.
   *
   * @param profileArn `arn:<partition>:bedrock:<region>:<account>:application-inference-profile/<id>` (a token is fine,
   *   e.g. `CfnApplicationInferenceProfile.attrInferenceProfileArn`)
   * @param source what the profile copies (its `modelSource`): `BedrockModel.foundationModel(...)` or
   *   `BedrockModel.inferenceProfile(...)`, or the same from aws-bedrock-alpha
   */
  public static applicationInferenceProfile(profileArn: string, source: IBedrockInvokable): BedrockModel {
    const where = 'BedrockModel.applicationInferenceProfile';
    if (!Token.isUnresolved(profileArn) && !APPLICATION_PROFILE_ARN.test(profileArn)) {
      throw new ValidationError(
        `${where}: '${profileArn}' is not an application inference profile ARN (arn:<partition>:bedrock:<region>:<account>:application-inference-profile/<id>)`,
      );
    }
    const target = modelTargetOf(source, `${where}('${profileArn}') source`, Aws.REGION);
    if (target.kind !== 'foundation-model' && target.kind !== 'system-profile') {
      throw new ValidationError(`${where}: the source must be a foundation model or a system-defined inference profile, got ${invocationId(target)}`);
    }
    return new BedrockModel({ kind: 'application-profile', profileArn, source: target });
  }

  /**
   * A prompt router, which sends each request to one of its models.
   *
   * @param routerArn `arn:<partition>:bedrock:<region>:<account>:default-prompt-router/<id>` or `…:prompt-router/<id>`
   * @param routedModels the models (or profiles) it routes to; each is granted as it would be on its own
   */
  public static promptRouter(routerArn: string, routedModels: IBedrockInvokable[]): BedrockModel {
    const where = 'BedrockModel.promptRouter';
    if (!Token.isUnresolved(routerArn) && !PROMPT_ROUTER_ARN.test(routerArn)) {
      throw new ValidationError(
        `${where}: '${routerArn}' is not a prompt router ARN (arn:<partition>:bedrock:<region>:<account>:default-prompt-router/<id>)`,
      );
    }
    if (routedModels.length === 0) throw new ValidationError(`${where}('${routerArn}'): routedModels must name the models the router routes to`);
    return new BedrockModel({
      kind: 'prompt-router',
      routerArn,
      routed: routedModels.map((m, i) => modelTargetOf(m, `${where} routedModels[${i}]`, Aws.REGION)),
    });
  }

  /**
   * What this model is.
   * @internal
   */
  public readonly _target: ModelTarget;

  private constructor(target: ModelTarget) {
    this._target = target;
  }

  /** The id a caller passes to ConverseStream as `modelId`: a model id, a profile id, or an ARN. */
  public get invocationId(): string {
    return invocationId(this._target);
  }

  /** The foundation model behind it, when there is one (not for a prompt router). */
  public get foundationModelId(): string | undefined {
    const t = this._target.kind === 'application-profile' ? this._target.source : this._target;
    return t.kind === 'foundation-model' || t.kind === 'system-profile' ? t.modelId : undefined;
  }

  /** The geography of a system-defined inference profile (`us`, `eu`, `global`, …); undefined for anything else. */
  public get geography(): string | undefined {
    return this._target.kind === 'system-profile' ? this._target.geography : undefined;
  }

  /** The regions a geographic profile routes to; undefined for anything else (and for `global.` profiles). */
  public get destinationRegions(): string[] | undefined {
    return this._target.kind === 'system-profile' && this._target.destinationRegions ? [...this._target.destinationRegions] : undefined;
  }

  /** True for a system-defined cross-region inference profile. */
  public get isInferenceProfile(): boolean {
    return this._target.kind === 'system-profile';
  }

  public get invokableArn(): string {
    const t = this._target;
    switch (t.kind) {
      case 'foundation-model':
        return `arn:${Aws.PARTITION}:bedrock:${Aws.REGION}::foundation-model/${t.modelId}`;
      case 'system-profile':
        return `arn:${Aws.PARTITION}:bedrock:${Aws.REGION}:${Aws.ACCOUNT_ID}:inference-profile/${t.profileId}`;
      case 'application-profile':
        return t.profileArn;
      case 'prompt-router':
        return t.routerArn;
    }
  }

  /**
   * Lets `grantee` call `Converse` and `ConverseStream` (`bedrock:InvokeModel`, `bedrock:InvokeModelWithResponseStream`)
   * on this model: its ARNs as described on the factories, nothing else.
   */
  public grantInvoke(grantee: iam.IGrantable): iam.Grant {
    const stack = Construct.isConstruct(grantee) ? Stack.of(grantee) : undefined;
    const scope: ModelAccessScope = stack
      ? { partition: Aws.PARTITION, region: stack.region, account: stack.account }
      : { partition: Aws.PARTITION, region: Aws.REGION, account: Aws.ACCOUNT_ID };
    const statements = modelAccessStatements(this._target, [BEDROCK_ACTIONS.converse, BEDROCK_ACTIONS.converseStream], scope);
    return statements
      .map((s) => iam.Grant.addToPrincipal({ grantee, actions: s.actions, resourceArns: s.resources, conditions: s.conditions }))
      .reduce((all, grant) => all.combine(grant));
  }
}
