/**
 * Construct → runtime, per bundle and auth mode: synthesize a chat function, take its Lambda environment from the
 * template, replace the intrinsics with plausible deployed values, and require the runtime's config loader of that
 * bundle to accept it (and read back what the construct was given).
 */
import * as alpha from '@aws-cdk/aws-bedrock-alpha';
import { Duration, Stack } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { BUNDLES, BundleName, CHAT_BUNDLES } from '../../contract/bundles';
import { BedrockAgentAlias } from '../../lib/bedrock/bedrock-agent-alias';
import { BedrockModel } from '../../lib/bedrock/bedrock-model';
import { ApiKeyTable } from '../../lib/constructs/api-key-table';
import { BedrockAccess } from '../../lib/constructs/bedrock-access';
import { BedrockChatFunction, BedrockChatFunctionProps } from '../../lib/constructs/bedrock-chat-function';
import { ChatAuth } from '../../lib/constructs/chat-auth';
import { ChatBackend } from '../../lib/constructs/chat-backend';
import { ChatHistoryTable } from '../../lib/constructs/chat-history-table';
import { KnowledgeBase } from '../../lib/constructs/knowledge-base';
import { RateLimitTable } from '../../lib/constructs/rate-limit-table';
import { testStack } from '../support/cdk-app';
import { deployedEnvironment, RUNTIME_CONFIG_LOADERS } from '../support/deployed-environment';

const HAIKU = 'anthropic.claude-haiku-4-5-20251001-v1:0';
const jwt = ChatAuth.jwt({ issuer: 'https://id.example.com/', audience: 'chat-api', requiredClaims: ['email'], algorithms: ['RS256', 'ES256'] });

/** Every kind of model a function can be given, in one map (the application profile's ARN is a token). */
function allModels(stack: Stack) {
  const profile = new alpha.ApplicationInferenceProfile(stack, 'TenantProfile', {
    applicationInferenceProfileName: 'tenant-a',
    modelSource: BedrockModel.inferenceProfile(`us.${HAIKU}`),
  });
  return {
    haiku: BedrockModel.inferenceProfile(`global.${HAIKU}`),
    nova: BedrockModel.foundationModel('amazon.nova-lite-v1:0'),
    'tenant-a': profile,
    'tenant.b_2': BedrockModel.applicationInferenceProfile(
      'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abcd1234efgh',
      BedrockModel.foundationModel('amazon.nova-lite-v1:0'),
    ),
    sonnet: alpha.CrossRegionInferenceProfile.fromConfig({
      geoRegion: alpha.CrossRegionInferenceProfileRegion.US,
      model: alpha.BedrockFoundationModel.ANTHROPIC_CLAUDE_SONNET_4_6,
    }),
  };
}

interface Case {
  readonly bundle: BundleName;
  readonly props: (stack: Stack) => BedrockChatFunctionProps;
  /** What the loaded config must hold, from what the construct was given. */
  readonly expect?: (config: Record<string, unknown>, stack: Stack) => void;
}

const CASES: Record<string, Case> = {
  'model-chat, IAM auth, every kind of model': {
    bundle: BUNDLES.modelChat,
    props: (stack) => ({
      backend: ChatBackend.models(allModels(stack), {
        maxTokens: 2048,
        systemPrompt: 'Answer in one paragraph.',
        prices: { haiku: { inputPerMillionTokens: 1, outputPerMillionTokens: 5, cacheReadPerMillionTokens: 0.1 } },
      }),
      rateLimit: { requestsPerMinute: 30, failOpen: false },
    }),
    expect: (config) => {
      expect([...(config.models as Map<string, string>).keys()]).toEqual(['haiku', 'nova', 'tenant-a', 'tenant.b_2', 'sonnet']);
      expect(Object.fromEntries(config.prices as Map<string, unknown>)).toEqual({ haiku: { input: 1, output: 5, cacheRead: 0.1 } });
      expect((config.models as Map<string, string>).get('tenant-a')).toMatch(
        /^arn:aws:bedrock:us-east-1:123456789012:application-inference-profile\//,
      );
      expect(config).toMatchObject({
        defaultModel: 'haiku',
        maxTokens: 2048,
        systemPrompt: 'Answer in one paragraph.',
        rateLimit: { requestsPerMinute: 30, failOpen: false },
      });
    },
  },
  'model-chat, JWT auth (Cognito), no stored chats': {
    bundle: BUNDLES.modelChat,
    props: (stack) => {
      const pool = new cognito.UserPool(stack, 'Users');
      return {
        auth: ChatAuth.cognito(pool, pool.addClient('Web'), { requiredClaims: ['cognito:groups'] }),
        backend: ChatBackend.models({ haiku: BedrockModel.inferenceProfile(`us.${HAIKU}`) }),
      };
    },
    expect: (config) =>
      expect(config.auth).toMatchObject({
        mode: 'jwt',
        jwt: {
          requiredClaims: ['cognito:groups'],
          cognitoTokenUse: 'access',
          issuer: expect.stringMatching(/^https:\/\/cognito-idp\.us-east-1\.amazonaws\.com\/us-east-1_/),
        },
      }),
  },
  'rag-chat, IAM auth, a knowledge base of the stack': {
    bundle: BUNDLES.ragChat,
    props: (stack) => ({
      backend: ChatBackend.knowledgeBase(
        new KnowledgeBase(stack, 'Kb'),
        { haiku: BedrockModel.inferenceProfile(`us.${HAIKU}`) },
        { numberOfResults: 8, minScore: 0.25, fallbackAnswer: 'Ask our support team.' },
      ),
    }),
    expect: (config) => expect(config.retrieval).toMatchObject({ numberOfResults: 8, minScore: 0.25, fallbackAnswer: 'Ask our support team.' }),
  },
  'rag-chat, JWT auth, a knowledge base imported from another region': {
    bundle: BUNDLES.ragChat,
    props: (stack) => ({
      auth: jwt,
      backend: ChatBackend.knowledgeBase(
        KnowledgeBase.fromKnowledgeBaseArn(stack, 'Kb', 'arn:aws:bedrock:eu-central-1:210987654321:knowledge-base/KB12345678'),
        { nova: BedrockModel.foundationModel('amazon.nova-lite-v1:0') },
      ),
    }),
    expect: (config) =>
      expect(config).toMatchObject({
        region: 'us-east-1',
        auth: { mode: 'jwt' },
        retrieval: { knowledgeBaseId: 'KB12345678', region: 'eu-central-1' },
      }),
  },
  'stored-model-chat, JWT auth, an imported history table and a shared quota': {
    bundle: BUNDLES.storedModelChat,
    props: (stack) => ({
      auth: jwt,
      backend: ChatBackend.models(
        { haiku: BedrockModel.inferenceProfile(`us.${HAIKU}`) },
        { history: { table: ChatHistoryTable.fromTableName(stack, 'Chats', 'team-chats'), turns: 0 } },
      ),
      rateLimit: { table: RateLimitTable.fromTableName(stack, 'Limits', 'platform-limits'), quotaName: 'support' },
    }),
    expect: (config) =>
      expect(config).toMatchObject({
        history: { tableName: 'team-chats', turns: 0 },
        rateLimit: { tableName: 'platform-limits', namespace: 'support' },
      }),
  },
  'completions, API key auth, prices and budgets': {
    bundle: BUNDLES.completions,
    props: (stack) => ({
      backend: ChatBackend.openAiCompatible(
        { haiku: BedrockModel.inferenceProfile(`us.${HAIKU}`) },
        { maxTokens: 4096, prices: { haiku: { inputPerMillionTokens: 1, outputPerMillionTokens: 5, cacheReadPerMillionTokens: 0.1 } } },
      ),
      auth: ChatAuth.apiKeys(ApiKeyTable.fromTableName(stack, 'Keys', 'team-keys')),
      budgets: { tokensPerDay: 200_000, costPerDayUsd: 2.5 },
    }),
    expect: (config) =>
      expect(config).toMatchObject({
        maxTokens: 4096,
        auth: { mode: 'api_key', apiKeyTable: 'team-keys' },
        budgets: { tokensPerDay: 200_000, costPerDayUsd: 2.5, failOpen: false },
        prices: new Map([['haiku', { input: 1, output: 5, cacheRead: 0.1 }]]),
      }),
  },
  'stored-agent-chat, JWT auth (Cognito), a created history table': {
    bundle: BUNDLES.storedAgentChat,
    props: (stack) => {
      const pool = new cognito.UserPool(stack, 'Users');
      return {
        auth: ChatAuth.cognito(pool, pool.addClient('Web')),
        backend: ChatBackend.agent(BedrockAgentAlias.fromIds('A1', 'TSTALIASID'), { history: { turns: 50 } }),
      };
    },
    expect: (config) => expect(config).toMatchObject({ agent: { agentId: 'A1', agentAliasId: 'TSTALIASID' }, history: { turns: 50 } }),
  },
  'agent-chat, a public URL, the caller names the agent with its own credentials': {
    bundle: BUNDLES.agentChat,
    props: () => ({
      auth: ChatAuth.publicUrl(),
      backend: ChatBackend.callerChosenAgent(),
      access: BedrockAccess.callerCredentials({ allowedRegions: ['eu-west-1', 'us-east-1'] }),
    }),
    expect: (config) =>
      expect(config).toMatchObject({
        agents: { callerChoice: true },
        auth: { mode: 'public' },
        access: { mode: 'caller-credentials', allowedRegions: ['eu-west-1', 'us-east-1'] },
        rateLimit: { failOpen: false },
      }),
  },
  'agent-chat, JWT auth with a maximum token age, a fixed alias on the function role': {
    bundle: BUNDLES.agentChat,
    props: () => ({
      auth: ChatAuth.jwt({ issuer: 'https://id.example.com/', audience: 'chat', maxTokenAge: Duration.minutes(15) }),
      backend: ChatBackend.agent(BedrockAgentAlias.fromIds('A1', 'TSTALIASID')),
    }),
    expect: (config) =>
      expect(config).toMatchObject({
        auth: { mode: 'jwt', jwt: { maxTokenAgeSeconds: 900 } },
        agents: { defaultAgent: { agentId: 'A1', agentAliasId: 'TSTALIASID' }, callerChoice: false },
        access: { mode: 'function-role' },
      }),
  },
};

describe('the runtime accepts what the construct deploys', () => {
  test.each(Object.entries(CASES))('%s', (_name, { bundle, props, expect: check }) => {
    const stack = testStack();
    const chat = new BedrockChatFunction(stack, 'Chat', props(stack));
    const env = deployedEnvironment(stack, chat.function);
    const config = RUNTIME_CONFIG_LOADERS[bundle](env) as Record<string, unknown>;
    check?.(config, stack);
  });

  test('each chat bundle has a case (the knowledge base sync has its own: test/lib/constructs/knowledge-base-sync.test.ts)', () => {
    expect(new Set(Object.values(CASES).map((c) => c.bundle))).toEqual(new Set(CHAT_BUNDLES));
  });
});
