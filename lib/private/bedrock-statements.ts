import * as iam from 'aws-cdk-lib/aws-iam';

/**
 * The Bedrock statements other than model invocation (model-access.ts), written once: the resources' grant methods
 * and the chat backends both build them here.
 */

/** `bedrock:Retrieve` on one knowledge base: what `Retrieve` needs, nothing more. */
export function retrieveStatement(knowledgeBaseArn: string): iam.PolicyStatement {
  return new iam.PolicyStatement({ actions: ['bedrock:Retrieve'], resources: [knowledgeBaseArn] });
}

/** `bedrock:InvokeAgent` on one agent alias. */
export function invokeAgentStatement(aliasArn: string): iam.PolicyStatement {
  return new iam.PolicyStatement({ actions: ['bedrock:InvokeAgent'], resources: [aliasArn] });
}

/** The action a model call with `guardrailConfig` needs on the guardrail (Bedrock User Guide, "Permissions for guardrails"). */
export const APPLY_GUARDRAIL = 'bedrock:ApplyGuardrail';

/** What the guardrail statements need to know of a guardrail (an `IChatGuardrail`). */
export interface GuardrailGrantTarget {
  readonly guardrailArn: string;
  readonly guardrailVersion: string;
  readonly kmsKey?: { readonly keyArn: string };
}

/**
 * Adds what a model call naming `guardrail` needs to a backend's Bedrock statements: `bedrock:ApplyGuardrail` on its
 * ARN (and `kms:Decrypt` on its key), and with `enforce` the condition `bedrock:GuardrailIdentifier` = its ARN and
 * version on every model-invoke statement, so that identity cannot call a model without it. Written once for
 * whichever identity calls Bedrock: the chat function's role, or the `CrossAccountBedrockRole` it assumes.
 */
export function addGuardrailStatements(statements: iam.PolicyStatement[], guardrail: GuardrailGrantTarget, enforce: boolean): void {
  if (enforce) {
    for (const statement of statements) {
      if (statement.actions.some((action) => action.startsWith('bedrock:InvokeModel'))) {
        statement.addCondition('StringEquals', { 'bedrock:GuardrailIdentifier': `${guardrail.guardrailArn}:${guardrail.guardrailVersion}` });
      }
    }
  }
  statements.push(new iam.PolicyStatement({ actions: [APPLY_GUARDRAIL], resources: [guardrail.guardrailArn] }));
  if (guardrail.kmsKey) statements.push(new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [guardrail.kmsKey.keyArn] }));
}
