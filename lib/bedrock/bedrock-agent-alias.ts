import { Aws, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, IConstruct } from 'constructs';
import { AGENT_RESOURCE_ID } from '../../contract/patterns';
import { invokeAgentStatement } from '../private/bedrock-statements';
import { ValidationError } from '../private/validation';

/**
 * An alias of an existing Amazon Bedrock Agent ("Agents Classic"), invoked with `InvokeAgent`.
 *
 * Bedrock Agents stopped accepting new customers on 30 July 2026; existing agents keep working.
 */
export class BedrockAgentAlias {
  /** The alias `agentAliasId` of the agent `agentId`, in the region and account of the stack that uses it. */
  public static fromIds(agentId: string, agentAliasId: string): BedrockAgentAlias {
    for (const [name, value] of [
      ['agentId', agentId],
      ['agentAliasId', agentAliasId],
    ]) {
      if (!Token.isUnresolved(value) && !AGENT_RESOURCE_ID.test(value)) {
        throw new ValidationError(
          `BedrockAgentAlias.fromIds: ${name} '${value}' must be 1 to 10 letters or digits (e.g. 'AB12CD34EF', or 'TSTALIASID' for the draft alias)`,
        );
      }
    }
    return new BedrockAgentAlias(agentId, agentAliasId);
  }

  private constructor(
    /** The agent's id. */
    public readonly agentId: string,
    /** The alias id. */
    public readonly agentAliasId: string,
  ) {}

  /** `arn:${Partition}:bedrock:${Region}:${Account}:agent-alias/${agentId}/${agentAliasId}` in the stack of `scope`. */
  public aliasArn(scope: IConstruct): string {
    const stack = Stack.of(scope);
    return `arn:${stack.partition}:bedrock:${stack.region}:${stack.account}:agent-alias/${this.agentId}/${this.agentAliasId}`;
  }

  /** `bedrock:InvokeAgent` on exactly this alias (in the grantee's stack, or the deploying region and account). */
  public grantInvoke(grantee: iam.IGrantable): iam.Grant {
    const arn = Construct.isConstruct(grantee)
      ? this.aliasArn(grantee)
      : `arn:${Aws.PARTITION}:bedrock:${Aws.REGION}:${Aws.ACCOUNT_ID}:agent-alias/${this.agentId}/${this.agentAliasId}`;
    const statement = invokeAgentStatement(arn);
    return iam.Grant.addToPrincipal({ grantee, actions: statement.actions, resourceArns: statement.resources });
  }
}
