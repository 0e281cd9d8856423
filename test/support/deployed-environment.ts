/**
 * The environment a chat function sees when deployed, and the runtime config loader of each bundle: what the
 * round-trip and property tests hand from the constructs to the runtime.
 */
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { BUNDLES, BundleName } from '../../contract/bundles';
import { ENV } from '../../contract/env';
import { loadAgentChatConfig } from '../../lambdas/chat/modes/agent-chat/config';
import { loadCompletionsConfig } from '../../lambdas/chat/modes/completions/config';
import { loadModelChatConfig } from '../../lambdas/chat/modes/model-chat/config';
import { loadRagChatConfig } from '../../lambdas/chat/modes/rag-chat/config';
import { loadStoredAgentChatConfig, loadStoredModelChatConfig } from '../../lambdas/chat/modes/stored-chat/config';
import { loadSyncConfig } from '../../lambdas/knowledge-base-sync/config';
import { resolveIntrinsics } from './intrinsics';

export type Env = Record<string, string>;

/** The runtime's config loader for each bundle: it throws on any variable it does not accept. */
export const RUNTIME_CONFIG_LOADERS: Readonly<Record<BundleName, (env: Env) => unknown>> = {
  [BUNDLES.modelChat]: loadModelChatConfig,
  [BUNDLES.ragChat]: loadRagChatConfig,
  [BUNDLES.storedModelChat]: loadStoredModelChatConfig,
  [BUNDLES.storedAgentChat]: loadStoredAgentChatConfig,
  [BUNDLES.agentChat]: loadAgentChatConfig,
  [BUNDLES.completions]: loadCompletionsConfig,
  [BUNDLES.knowledgeBaseSync]: loadSyncConfig,
};

/**
 * `fn`'s Lambda environment from the synthesized template, with its intrinsics replaced by plausible deployed
 * values, plus what Lambda itself sets (`AWS_REGION`).
 */
export function deployedEnvironment(stack: Stack, fn: lambda.IFunction): Env {
  const template = Template.fromStack(stack).toJSON() as {
    Resources: Record<string, { Type: string; Properties: { Environment: { Variables: unknown } } }>;
  };
  const logicalId = stack.getLogicalId(fn.node.defaultChild as lambda.CfnFunction);
  const env = resolveIntrinsics(template.Resources[logicalId].Properties.Environment.Variables, template, {
    region: stack.region,
    account: stack.account,
    stackName: stack.stackName,
  }) as Record<string, unknown>;
  for (const [name, value] of Object.entries(env)) {
    if (typeof value !== 'string') throw new Error(`${name} resolves to ${JSON.stringify(value)}, not a string`);
  }
  return { ...(env as Env), [ENV.region]: stack.region };
}
