import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { BEDROCK_ACCESS_MODES, ENV } from '../../contract/env';
import { EXTERNAL_ID, IAM_ROLE_ARN, REGION, ROLE_SESSION_NAME } from '../../contract/patterns';
import { Validator } from '../private/validation';

/** Whose credentials sign a chat function's calls to Amazon Bedrock. */
export enum BedrockAccessMode {
  /** The function's own execution role. */
  FUNCTION_ROLE = 'function-role',
  /** A role assumed with STS, often in a central Bedrock account. */
  ASSUME_ROLE = 'assume-role',
  /** Each request carries the caller's own AWS credentials. */
  CALLER_CREDENTIALS = 'caller-credentials',
}

/** Options of `BedrockAccess.assumeRole`. */
export interface AssumeRoleAccessOptions {
  /**
   * The role the function assumes to call Bedrock, e.g. a `CrossAccountBedrockRole` in the Bedrock account
   * (`arn:aws:iam::222222222222:role/ChatBedrockAccess`).
   */
  readonly roleArn: string;

  /**
   * The `sts:ExternalId` the role's trust policy requires (2 to 1224 of `A-Z a-z 0-9 + = , . @ : / - _`). It is not
   * a secret: it names the tenant, so that a role set up for one chat cannot be used by another (the confused deputy).
   * @default - none sent (give one whenever the role is in an account you do not control)
   */
  readonly externalId?: string;

  /**
   * The role session name, shown in the Bedrock account's CloudTrail (2 to 64 of `A-Z a-z 0-9 + = , . @ - _`).
   * @default 'bedrock-chat'
   */
  readonly sessionName?: string;
}

/** Options of `BedrockAccess.callerCredentials`. */
export interface CallerCredentialsAccessOptions {
  /**
   * Regions a caller may name in `awsCredentials.region`; the first is the default. The endpoint is only ever
   * derived from one of these.
   * @default - the stack's region only
   */
  readonly allowedRegions?: string[];
}

/** What the chat function tells an access mode when binding it. */
export interface BedrockAccessBindOptions {
  /** The function's role. */
  readonly grantee: iam.IGrantable;
}

/** What an access mode contributes to the function it is bound to. */
export interface BedrockAccessConfig {
  readonly mode: BedrockAccessMode;
  /** Environment variables the runtime reads (names from the runtime contract). */
  readonly environment: Record<string, string>;
  /**
   * Whether the backend's Bedrock statements belong on the function's role. False when another identity calls
   * Bedrock: the assumed role (see `CrossAccountBedrockRole`) or each caller.
   */
  readonly functionRoleCallsBedrock: boolean;
}

/**
 * Whose credentials sign the chat function's calls to Bedrock. Each mode binds itself in one place: the environment
 * it writes and the grants it makes. It composes with every `ChatBackend` and `ChatAuth`.
 */
export abstract class BedrockAccess {
  /** The function's own role holds the backend's Bedrock statements and signs the calls (the default). */
  public static functionRole(): BedrockAccess {
    return new FunctionRoleAccess();
  }

  /**
   * The calls run as `roleArn`, typically in a central Bedrock account. The function's role holds exactly
   * `sts:AssumeRole` on that role and no Bedrock statement; the role's own policy grants Bedrock (see
   * `CrossAccountBedrockRole`). The runtime calls STS once per credential lifetime per execution environment.
   */
  public static assumeRole(options: AssumeRoleAccessOptions): BedrockAccess {
    return new AssumeRoleAccess(options);
  }

  /**
   * Each request carries the caller's own AWS credentials (`awsCredentials` in the body), used for that request
   * only and never stored or logged. The function's role holds no Bedrock permission at all.
   */
  public static callerCredentials(options: CallerCredentialsAccessOptions = {}): BedrockAccess {
    return new CallerCredentialsAccess(options);
  }

  /** Validates the mode for the function in `scope`, makes its grants and renders its environment. */
  public abstract bind(scope: Construct, options: BedrockAccessBindOptions): BedrockAccessConfig;
}

class FunctionRoleAccess extends BedrockAccess {
  public bind(): BedrockAccessConfig {
    // Nothing written: an unset BEDROCK_ACCESS is the function role, so existing functions keep their environment.
    return { mode: BedrockAccessMode.FUNCTION_ROLE, environment: {}, functionRoleCallsBedrock: true };
  }
}

class AssumeRoleAccess extends BedrockAccess {
  constructor(private readonly options: AssumeRoleAccessOptions) {
    super();
  }

  public bind(scope: Construct, options: BedrockAccessBindOptions): BedrockAccessConfig {
    const v = Validator.of('BedrockAccess.assumeRole', scope);
    const o = this.options;
    v.pattern('roleArn', o.roleArn, IAM_ROLE_ARN, 'an IAM role ARN such as arn:aws:iam::222222222222:role/ChatBedrockAccess');
    v.pattern('externalId', o.externalId, EXTERNAL_ID, '2 to 1224 of A-Z a-z 0-9 + = , . @ : / - _');
    v.pattern('sessionName', o.sessionName, ROLE_SESSION_NAME, '2 to 64 of A-Z a-z 0-9 + = , . @ - _');
    iam.Grant.addToPrincipal({ grantee: options.grantee, actions: ['sts:AssumeRole'], resourceArns: [o.roleArn] });
    return {
      mode: BedrockAccessMode.ASSUME_ROLE,
      environment: {
        [ENV.bedrockAccess]: BEDROCK_ACCESS_MODES.assumeRole,
        [ENV.bedrockRoleArn]: o.roleArn,
        ...(o.externalId !== undefined ? { [ENV.bedrockExternalId]: o.externalId } : {}),
        ...(o.sessionName !== undefined ? { [ENV.bedrockSessionName]: o.sessionName } : {}),
      },
      functionRoleCallsBedrock: false,
    };
  }
}

class CallerCredentialsAccess extends BedrockAccess {
  constructor(private readonly options: CallerCredentialsAccessOptions) {
    super();
  }

  public bind(scope: Construct): BedrockAccessConfig {
    const v = Validator.of('BedrockAccess.callerCredentials', scope);
    const regions = this.options.allowedRegions ?? [Stack.of(scope).region];
    if (regions.length === 0) v.fail('allowedRegions must name at least one region (leave it out for the stack region)');
    for (const region of regions) v.pattern('allowedRegions entry', region, REGION, 'an AWS region such as eu-west-1');
    if (new Set(regions).size !== regions.length) v.fail(`allowedRegions names a region twice: ${regions.join(', ')}`);
    return {
      mode: BedrockAccessMode.CALLER_CREDENTIALS,
      environment: {
        [ENV.bedrockAccess]: BEDROCK_ACCESS_MODES.callerCredentials,
        // A token (the region of an environment-agnostic stack) joins into an Fn::Join CloudFormation resolves.
        [ENV.bedrockAllowedRegions]: regions.join(','),
      },
      functionRoleCallsBedrock: false,
    };
  }
}
