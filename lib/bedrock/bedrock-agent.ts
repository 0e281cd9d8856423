import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';

/** A Bedrock resource id as agents, agent aliases and knowledge bases have: 10 letters or digits. */
export const BEDROCK_RESOURCE_ID = /^[0-9a-zA-Z]{10}$/;

/**
 * An alias of an existing Amazon Bedrock Agent ("Agents Classic"), invoked with `InvokeAgent`.
 *
 * Bedrock Agents stopped accepting new customers on 30 July 2026; existing agents keep working.
 */
export class BedrockAgentAlias {
  public static fromIds(agentId: string, agentAliasId: string): BedrockAgentAlias {
    for (const [name, value] of [['agentId', agentId], ['agentAliasId', agentAliasId]]) {
      if (!BEDROCK_RESOURCE_ID.test(value)) throw new Error(`BedrockAgentAlias.fromIds: ${name} '${value}' must be 10 letters or digits (e.g. 'AB12CD34EF')`);
    }
    return new BedrockAgentAlias(agentId, agentAliasId);
  }

  private constructor(public readonly agentId: string, public readonly agentAliasId: string) {}

  /** `arn:${Partition}:bedrock:${Region}:${Account}:agent-alias/${agentId}/${agentAliasId}` in the stack of `scope`. */
  public aliasArn(scope: IConstruct): string {
    const stack = Stack.of(scope);
    return `arn:${stack.partition}:bedrock:${stack.region}:${stack.account}:agent-alias/${this.agentId}/${this.agentAliasId}`;
  }

  /** `bedrock:InvokeAgent` on exactly this alias. */
  public grantInvoke(grantee: iam.IGrantable & IConstruct): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['bedrock:InvokeAgent'], resourceArns: [this.aliasArn(grantee)] });
  }
}
