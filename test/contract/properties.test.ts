/**
 * One contract, two readers: for every value a user can give the constructs that ends up in the runtime's
 * environment, the construct accepts it exactly when the runtime's config loader accepts what the construct would
 * write for it. Checked with generated values (fast-check): edge cases of each limit, pattern and type.
 *
 * A value is written as the construct writes it (`String(n)`, a JSON map of aliases, a comma list of claims); when
 * the construct accepts a value the test also checks that it wrote exactly that.
 */
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as fc from 'fast-check';
import { BUNDLES, BundleName } from '../../contract/bundles';
import { ENV } from '../../contract/env';
import { LIMITS } from '../../contract/limits';
import { AGENT_RESOURCE_ID, ASYMMETRIC_ALGORITHMS, CLAIM_NAME, KNOWLEDGE_BASE_ID, MODEL_ALIAS, RATE_LIMIT_NAMESPACE } from '../../contract/patterns';
import { BedrockAgentAlias } from '../../lib/bedrock/bedrock-agent-alias';
import { BedrockModel } from '../../lib/bedrock/bedrock-model';
import { BedrockChatFunction } from '../../lib/constructs/bedrock-chat-function';
import { ChatAuth, ChatAuthMode } from '../../lib/constructs/chat-auth';
import { ChatBackend } from '../../lib/constructs/chat-backend';
import { KnowledgeBase } from '../../lib/constructs/knowledge-base';
import { ValidationError } from '../../lib/private/validation';
import { projectContext, testStack } from '../support/cdk-app';
import { deployedEnvironment, Env, RUNTIME_CONFIG_LOADERS } from '../support/deployed-environment';

const nova = { nova: BedrockModel.foundationModel('amazon.nova-lite-v1:0') };
const jwt = { issuer: 'https://id.example.com/', audience: 'chat' };

function freshStack(): Stack {
  return new Stack(new App({ context: projectContext }), 'Props', { env: { account: '123456789012', region: 'us-east-1' } });
}

/** A backend bound as a chat function would bind it; its resolved environment. */
function boundEnv(backend: ChatBackend, authMode = ChatAuthMode.IAM): Env {
  const stack = freshStack();
  const config = backend.bind(stack, { grantee: new iam.AccountRootPrincipal(), authMode, removalPolicy: RemovalPolicy.DESTROY });
  return stack.resolve(config.environment);
}

/** The environment a whole chat function writes. */
function functionEnv(make: (stack: Stack) => BedrockChatFunction): Env {
  const stack = freshStack();
  const fn = make(stack).function.node.defaultChild as lambda.CfnFunction;
  return (stack.resolve(fn.environment) as { variables: Env }).variables;
}

/** A valid deployed environment per bundle: what each dimension's variable is swapped into. */
const BASE: Partial<Record<BundleName, Env>> = {};
beforeAll(() => {
  const deployed = (make: (stack: Stack) => BedrockChatFunction) => {
    const stack = testStack();
    return deployedEnvironment(stack, make(stack).function);
  };
  BASE[BUNDLES.modelChat] = deployed((s) => new BedrockChatFunction(s, 'Chat', { backend: ChatBackend.models(nova) }));
  BASE[BUNDLES.ragChat] = deployed(
    (s) => new BedrockChatFunction(s, 'Chat', { backend: ChatBackend.knowledgeBase(KnowledgeBase.fromKnowledgeBaseId(s, 'Kb', 'KB12345678'), nova) }),
  );
  BASE[BUNDLES.storedModelChat] = deployed(
    (s) => new BedrockChatFunction(s, 'Chat', { auth: ChatAuth.jwt(jwt), backend: ChatBackend.models(nova, { history: {} }) }),
  );
  BASE[BUNDLES.storedAgentChat] = deployed(
    (s) =>
      new BedrockChatFunction(s, 'Chat', {
        auth: ChatAuth.jwt(jwt),
        backend: ChatBackend.agent(BedrockAgentAlias.fromIds('AGENT12345', 'ALIAS12345'), { history: {} }),
      }),
  );
}, 120_000);

/** `write` builds with the value (throwing a ValidationError when the construct refuses it) and returns what it wrote. */
interface Dimension<T> {
  readonly bundle: BundleName;
  readonly values: fc.Arbitrary<T>;
  readonly write: (value: T) => Env;
  readonly expected: (value: T) => Env;
  readonly runs?: number;
}

function constructVerdict(write: () => Env): Env | undefined {
  try {
    return write();
  } catch (e) {
    if (e instanceof ValidationError) return undefined;
    throw e;
  }
}

function runtimeAccepts(bundle: BundleName, env: Env): boolean {
  try {
    RUNTIME_CONFIG_LOADERS[bundle](env);
    return true;
  } catch (e) {
    if ((e as Error).name === 'ConfigError') return false;
    throw e;
  }
}

function agreeOn<T>(d: Dimension<T>): void {
  fc.assert(
    fc.property(d.values, (value) => {
      const expected = d.expected(value);
      const written = constructVerdict(() => d.write(value));
      if (written) {
        for (const name of Object.keys(expected)) expect({ [name]: written[name] }).toEqual({ [name]: expected[name] });
      }
      const runtime = runtimeAccepts(d.bundle, { ...BASE[d.bundle]!, ...expected });
      expect({ value, construct: written !== undefined, runtime }).toEqual({ value, construct: runtime, runtime });
    }),
    { numRuns: d.runs ?? 150 },
  );
}

/** Numbers around `min`..`max`: whole and fractional, negative zero, NaN, infinities, huge. */
const numbersAround = (min: number, max: number) =>
  fc.oneof(
    fc.integer({ min: min - 3, max: max + 3 }),
    fc.constantFrom(min, max, min - 1, max + 1, -0, NaN, Infinity, -Infinity, 1e21, 0.5, max + 0.5),
    fc.double(),
  );

/** Strings of the characters that matter to the patterns, and any other. */
const idLike = (pattern: RegExp, maxLength: number) =>
  fc.oneof(fc.stringMatching(pattern), fc.string({ unit: fc.constantFrom(...'aAzZ09._-:/@ +é'.split('')), maxLength }), fc.string({ maxLength }));

const text = (maxLength: number) =>
  fc.oneof(
    fc.string({ maxLength }),
    fc.string({ unit: 'grapheme', maxLength: Math.ceil(maxLength / 2) }),
    fc.constantFrom('', ' ', '\t\n', 'x'.repeat(maxLength - 1), 'x'.repeat(maxLength), 'é'.repeat(maxLength + 1)),
  );

describe('construct and runtime accept the same values', () => {
  test('model aliases', () =>
    agreeOn({
      bundle: BUNDLES.modelChat,
      values: idLike(MODEL_ALIAS, 40),
      write: (alias) => boundEnv(ChatBackend.models({ [alias]: nova.nova })),
      expected: (alias) => ({ [ENV.models]: JSON.stringify({ [alias]: 'amazon.nova-lite-v1:0' }) }),
    }));

  test('maxTokens', () =>
    agreeOn({
      bundle: BUNDLES.modelChat,
      values: numbersAround(1, LIMITS.maxTokens),
      write: (maxTokens) => boundEnv(ChatBackend.models(nova, { maxTokens })),
      expected: (maxTokens) => ({ [ENV.maxTokens]: String(maxTokens) }),
    }));

  test('system prompts', () =>
    agreeOn({
      bundle: BUNDLES.modelChat,
      values: text(LIMITS.maxSystemPromptChars + 2),
      write: (systemPrompt) => boundEnv(ChatBackend.models(nova, { systemPrompt })),
      expected: (systemPrompt) => ({ [ENV.systemPrompt]: systemPrompt }),
      runs: 60,
    }));

  test('stored turns sent back (history.turns)', () =>
    agreeOn({
      bundle: BUNDLES.storedModelChat,
      values: numbersAround(0, LIMITS.maxHistoryTurns),
      write: (turns) => boundEnv(ChatBackend.models(nova, { history: { turns } }), ChatAuthMode.JWT),
      expected: (turns) => ({ [ENV.historyTurns]: String(turns) }),
    }));

  test('agent and alias ids', () =>
    agreeOn({
      bundle: BUNDLES.storedAgentChat,
      values: idLike(AGENT_RESOURCE_ID, 12),
      write: (id) => boundEnv(ChatBackend.agent(BedrockAgentAlias.fromIds(id, id), { history: {} }), ChatAuthMode.JWT),
      expected: (id) => ({ [ENV.agentId]: id, [ENV.agentAliasId]: id }),
    }));

  test('knowledge base ids', () =>
    agreeOn({
      bundle: BUNDLES.ragChat,
      values: idLike(KNOWLEDGE_BASE_ID, 12),
      write: (id) => boundEnv(ChatBackend.knowledgeBase(KnowledgeBase.fromKnowledgeBaseId(freshStack(), 'Kb', id), nova)),
      expected: (id) => ({ [ENV.knowledgeBaseId]: id }),
    }));

  test('retrieval: numberOfResults', () =>
    agreeOn({
      bundle: BUNDLES.ragChat,
      values: numbersAround(1, LIMITS.maxRetrievalResults),
      write: (numberOfResults) =>
        boundEnv(ChatBackend.knowledgeBase(KnowledgeBase.fromKnowledgeBaseId(freshStack(), 'Kb', 'KB12345678'), nova, { numberOfResults })),
      expected: (numberOfResults) => ({ [ENV.retrievalResults]: String(numberOfResults) }),
    }));

  test('retrieval: minScore', () =>
    agreeOn({
      bundle: BUNDLES.ragChat,
      values: fc.oneof(fc.double({ min: -0.5, max: 1.5 }), fc.constantFrom(0, 1, -0, 1e-7, 1.0000001, NaN, Infinity)),
      write: (minScore) =>
        boundEnv(ChatBackend.knowledgeBase(KnowledgeBase.fromKnowledgeBaseId(freshStack(), 'Kb', 'KB12345678'), nova, { minScore })),
      expected: (minScore) => ({ [ENV.retrievalMinScore]: String(minScore) }),
    }));

  test('retrieval: fallback answers', () =>
    agreeOn({
      bundle: BUNDLES.ragChat,
      values: text(LIMITS.maxFallbackAnswerChars + 2),
      write: (fallbackAnswer) =>
        boundEnv(ChatBackend.knowledgeBase(KnowledgeBase.fromKnowledgeBaseId(freshStack(), 'Kb', 'KB12345678'), nova, { fallbackAnswer })),
      expected: (fallbackAnswer) => ({ [ENV.retrievalFallbackAnswer]: fallbackAnswer }),
    }));

  // A claim list is written comma-separated: ',' and white space are the list's own syntax, so claims are drawn without them.
  test('required claim names', () =>
    agreeOn({
      bundle: BUNDLES.storedModelChat,
      values: fc.oneof(fc.stringMatching(CLAIM_NAME), fc.string({ unit: fc.constantFrom(...'aZ09_:.-/@#é'.split('')), minLength: 1, maxLength: 70 })),
      write: (claim) => freshStackBind(ChatAuth.jwt({ ...jwt, requiredClaims: [claim] })),
      expected: (claim) => ({ [ENV.jwtRequiredClaims]: claim }),
    }));

  test('signature algorithms', () =>
    agreeOn({
      bundle: BUNDLES.storedModelChat,
      values: fc.uniqueArray(fc.constantFrom(...ASYMMETRIC_ALGORITHMS, 'HS256', 'none', 'RS1', 'rs256', 'ES256K'), { maxLength: 4 }),
      write: (algorithms) => freshStackBind(ChatAuth.jwt({ ...jwt, algorithms })),
      expected: (algorithms) => ({ [ENV.jwtAlgorithms]: algorithms.join(',') }),
    }));

  test('clock skew', () =>
    agreeOn({
      bundle: BUNDLES.storedModelChat,
      values: fc.integer({ min: 0, max: LIMITS.maxClockSkewSeconds * 2 }),
      write: (seconds) => freshStackBind(ChatAuth.jwt({ ...jwt, clockSkew: Duration.seconds(seconds) })),
      expected: (seconds) => ({ [ENV.jwtClockSkewSeconds]: String(seconds) }),
    }));

  test(
    'requests per minute',
    () =>
      agreeOn({
        bundle: BUNDLES.modelChat,
        values: numbersAround(1, LIMITS.maxRequestsPerMinute),
        write: (requestsPerMinute) =>
          functionEnv((s) => new BedrockChatFunction(s, 'Chat', { backend: ChatBackend.models(nova), rateLimit: { requestsPerMinute } })),
        expected: (requestsPerMinute) => ({ [ENV.rateLimitPerMinute]: String(requestsPerMinute) }),
        runs: 40,
      }),
    120_000,
  );

  test(
    'shared quota names (the rate-limit namespace)',
    () =>
      agreeOn({
        bundle: BUNDLES.modelChat,
        values: idLike(RATE_LIMIT_NAMESPACE, 70),
        write: (quotaName) => functionEnv((s) => new BedrockChatFunction(s, 'Chat', { backend: ChatBackend.models(nova), rateLimit: { quotaName } })),
        expected: (quotaName) => ({ [ENV.rateLimitNamespace]: quotaName }),
        runs: 40,
      }),
    120_000,
  );
});

function freshStackBind(auth: ChatAuth): Env {
  const stack = freshStack();
  return stack.resolve(auth.bind(stack).environment);
}
