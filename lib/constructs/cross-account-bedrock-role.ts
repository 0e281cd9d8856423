import { Duration, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { EXTERNAL_ID } from '../../contract/patterns';
import { addGuardrailStatements } from '../private/bedrock-statements';
import { ManagedPolicyRole } from '../private/managed-policy-role';
import { Validator } from '../private/validation';
import { ChatBackend } from './chat-backend';
import { IChatGuardrail } from './chat-guardrail';

export interface CrossAccountBedrockRoleProps {
  /**
   * The chat function's role, in the chat account (`chat.role`, or `iam.Role.fromRoleArn(...)` with the ARN the chat
   * stack outputs): the only principal the trust policy names.
   */
  readonly chatFunctionRole: iam.IRole;

  /**
   * The `sts:ExternalId` every AssumeRole must carry (2 to 1224 of `A-Z a-z 0-9 + = , . @ : / - _`); give the same
   * value to `BedrockAccess.assumeRole({ externalId })`.
   */
  readonly externalId: string;

  /**
   * What the chat answers with: the role is granted exactly the Bedrock statements this backend needs (its models,
   * knowledge base or agent), built by the same code that would grant them to the function's own role.
   */
  readonly backend: ChatBackend;

  /**
   * The guardrail the chat function names in its model calls (its `guardrail` prop): the role gets
   * `bedrock:ApplyGuardrail` on its ARN (and `kms:Decrypt` on its key), since the assumed role, not the function's
   * own, is the identity calling Bedrock. Built by the same code that grants a function-role chat.
   * @default - no guardrail statements
   */
  readonly guardrail?: IChatGuardrail;

  /**
   * As the chat function's `enforceGuardrail`: every model-invoke statement of this role gets the condition
   * `bedrock:GuardrailIdentifier` = the guardrail's ARN and version, so the role cannot call a model without it.
   * @default false
   */
  readonly enforceGuardrail?: boolean;

  /**
   * The role's name: fixed, so the chat account can name the ARN before this stack is deployed.
   * @default - a name CloudFormation generates
   */
  readonly roleName?: string;

  /**
   * The longest session the chat may ask for (1 to 12 hours); the runtime asks for one hour.
   * @default Duration.hours(1)
   */
  readonly maxSessionDuration?: Duration;
}

/**
 * The role a chat function in another account assumes to call Amazon Bedrock in this one (the multi-account layout
 * where Bedrock, its model access and its quotas live in a central account). Deployed in the Bedrock account's
 * stack; the chat function uses it through `BedrockAccess.assumeRole({ roleArn: role.roleArn, externalId })`.
 *
 * Its trust policy names exactly the chat function's role, with an `sts:ExternalId` condition; its only policy (one
 * customer-managed policy) holds the backend's least-privilege Bedrock statements.
 */
export class CrossAccountBedrockRole extends Construct {
  /** The role. */
  public readonly role: iam.IRole;
  /**
   * The role's ARN, for `BedrockAccess.assumeRole({ roleArn })`.
   * @attribute
   */
  public readonly roleArn: string;

  constructor(scope: Construct, id: string, props: CrossAccountBedrockRoleProps) {
    super(scope, id);
    const v = Validator.of('CrossAccountBedrockRole', this);
    v.pattern('externalId', props.externalId, EXTERNAL_ID, '2 to 1224 of A-Z a-z 0-9 + = , . @ : / - _');
    const duration = props.maxSessionDuration ?? Duration.hours(1);
    if (!Token.isUnresolved(duration.toSeconds()) && (duration.toSeconds() < 3600 || duration.toSeconds() > 43_200)) {
      v.fail(`maxSessionDuration must be between 1 and 12 hours, got ${duration.toSeconds()} seconds`);
    }
    const role = new ManagedPolicyRole(this, 'Resource', {
      roleName: props.roleName,
      description: 'Assumed by one chat function (external id required) to call exactly its Bedrock models, knowledge base or agent',
      assumedBy: new iam.ArnPrincipal(props.chatFunctionRole.roleArn).withConditions({
        StringEquals: { 'sts:ExternalId': props.externalId },
      }),
      maxSessionDuration: duration,
    });
    const statements = props.backend.bedrockStatements(this);
    if (props.guardrail) addGuardrailStatements(statements, props.guardrail, props.enforceGuardrail ?? false);
    else if (props.enforceGuardrail !== undefined) v.fail('enforceGuardrail configures a guardrail: give guardrail as well');
    for (const statement of statements) role.addToPrincipalPolicy(statement);
    this.role = role;
    this.roleArn = role.roleArn;
  }
}
