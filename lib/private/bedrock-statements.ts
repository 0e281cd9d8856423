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
