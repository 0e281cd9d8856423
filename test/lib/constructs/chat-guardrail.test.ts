import * as alpha from '@aws-cdk/aws-bedrock-alpha';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { BedrockAgentAlias } from '../../../lib/bedrock/bedrock-agent-alias';
import { BedrockModel } from '../../../lib/bedrock/bedrock-model';
import { BedrockChatFunction, BedrockChatFunctionProps } from '../../../lib/constructs/bedrock-chat-function';
import { ChatAuth } from '../../../lib/constructs/chat-auth';
import { ChatBackend } from '../../../lib/constructs/chat-backend';
import {
  ChatGuardrail,
  GuardrailContentFilterType,
  GuardrailFilterStrength,
  GuardrailPiiAction,
  GuardrailStreamProcessingMode,
} from '../../../lib/constructs/chat-guardrail';
import { testStack } from '../../support/cdk-app';

const models = { haiku: BedrockModel.inferenceProfile('us.anthropic.claude-haiku-4-5-20251001-v1:0') };
const IMPORTED_ARN = 'arn:aws:bedrock:us-east-1:123456789012:guardrail/abc123def456';

function chat(stack: Stack, props: Partial<BedrockChatFunctionProps>) {
  return new BedrockChatFunction(stack, 'Chat', { backend: ChatBackend.models(models), ...props });
}

function synth(stack: Stack, props: Partial<BedrockChatFunctionProps>): Template {
  chat(stack, props);
  return Template.fromStack(stack);
}

function statements(template: Template) {
  return Object.values(template.findResources('AWS::IAM::ManagedPolicy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
}

function variables(template: Template): Record<string, unknown> {
  return Object.values(template.findResources('AWS::Lambda::Function'))[0]!.Properties.Environment.Variables;
}

describe('ChatGuardrail', () => {
  test('secure by default: five content filters and prompt attacks at HIGH, profanity blocked, and a numbered version', () => {
    const stack = testStack();
    new ChatGuardrail(stack, 'Guardrail');
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Bedrock::Guardrail', {
      BlockedInputMessaging: Match.anyValue(),
      BlockedOutputsMessaging: Match.anyValue(),
      ContentPolicyConfig: {
        FiltersConfig: [
          ...['SEXUAL', 'VIOLENCE', 'HATE', 'INSULTS', 'MISCONDUCT'].map((Type) => ({ Type, InputStrength: 'HIGH', OutputStrength: 'HIGH' })),
          { Type: 'PROMPT_ATTACK', InputStrength: 'HIGH', OutputStrength: 'NONE' },
        ],
      },
      WordPolicyConfig: { ManagedWordListsConfig: [{ Type: 'PROFANITY' }] },
    });
    template.resourceCountIs('AWS::Bedrock::GuardrailVersion', 1);
    template.hasResourceProperties('AWS::Bedrock::GuardrailVersion', { GuardrailIdentifier: { 'Fn::GetAtt': [Match.anyValue(), 'GuardrailId'] } });
  });

  test('denied topics, PII, words and a customer-managed key', () => {
    const stack = testStack();
    const key = new kms.Key(stack, 'Key');
    new ChatGuardrail(stack, 'Guardrail', {
      contentFilters: [{ type: GuardrailContentFilterType.HATE, outputStrength: GuardrailFilterStrength.MEDIUM }],
      promptAttackStrength: GuardrailFilterStrength.NONE,
      deniedTopics: [{ name: 'Investment advice', definition: 'Recommendations about stocks or funds.', examples: ['Which stock should I buy?'] }],
      piiEntities: [
        { type: 'EMAIL', action: GuardrailPiiAction.ANONYMIZE },
        { type: 'CREDIT_DEBIT_CARD_NUMBER', action: GuardrailPiiAction.BLOCK },
      ],
      deniedWords: ['competitorco'],
      blockProfanity: false,
      kmsKey: key,
    });
    Template.fromStack(stack).hasResourceProperties('AWS::Bedrock::Guardrail', {
      ContentPolicyConfig: { FiltersConfig: [{ Type: 'HATE', InputStrength: 'HIGH', OutputStrength: 'MEDIUM' }] },
      TopicPolicyConfig: {
        TopicsConfig: [
          { Name: 'Investment advice', Definition: 'Recommendations about stocks or funds.', Examples: ['Which stock should I buy?'], Type: 'DENY' },
        ],
      },
      SensitiveInformationPolicyConfig: {
        PiiEntitiesConfig: [
          { Type: 'EMAIL', Action: 'ANONYMIZE' },
          { Type: 'CREDIT_DEBIT_CARD_NUMBER', Action: 'BLOCK' },
        ],
      },
      WordPolicyConfig: { WordsConfig: [{ Text: 'competitorco' }], ManagedWordListsConfig: Match.absent() },
      KmsKeyArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] },
    });
  });

  test('a changed configuration gets a new version (a new logical id), an unchanged one keeps it', () => {
    const versionId = (props: ConstructorParameters<typeof ChatGuardrail>[2]) => {
      const stack = testStack();
      new ChatGuardrail(stack, 'Guardrail', props);
      return Object.keys(Template.fromStack(stack).findResources('AWS::Bedrock::GuardrailVersion'))[0];
    };
    expect(versionId({})).toBe(versionId({}));
    expect(versionId({ deniedWords: ['x'] })).not.toBe(versionId({}));
  });

  test('refuses bad messages and topics, naming the value', () => {
    expect(() => new ChatGuardrail(testStack(), 'G', { blockedInputMessage: ' ' })).toThrow(/blockedInputMessage must be 1 to 500 characters/);
    expect(
      () => new ChatGuardrail(testStack(), 'G', { deniedTopics: [{ name: 'x', definition: 'd', examples: ['1', '2', '3', '4', '5', '6'] }] }),
    ).toThrow(/at most 5 examples/);
  });

  test('contextual grounding: GROUNDING and RELEVANCE filters with their thresholds (0.75 each by default); none without the prop', () => {
    const stack = testStack();
    new ChatGuardrail(stack, 'Grounded', { contextualGrounding: { groundingThreshold: 0.9, relevanceThreshold: 0.5 } });
    new ChatGuardrail(stack, 'Defaults', { contextualGrounding: {} });
    new ChatGuardrail(stack, 'Plain');
    const guardrails = Template.fromStack(stack).findResources('AWS::Bedrock::Guardrail');
    const policy = (id: string) =>
      Object.entries(guardrails).find(([logicalId]) => logicalId.startsWith(id))![1].Properties.ContextualGroundingPolicyConfig;
    expect(policy('Grounded')).toEqual({
      FiltersConfig: [
        { Type: 'GROUNDING', Threshold: 0.9 },
        { Type: 'RELEVANCE', Threshold: 0.5 },
      ],
    });
    expect(policy('Defaults')).toEqual({
      FiltersConfig: [
        { Type: 'GROUNDING', Threshold: 0.75 },
        { Type: 'RELEVANCE', Threshold: 0.75 },
      ],
    });
    expect(policy('Plain')).toBeUndefined();
  });

  test('contextual grounding thresholds outside 0 to 0.99 are refused at synth, naming the value', () => {
    for (const [props, message] of [
      [{ groundingThreshold: 1 }, /contextualGrounding\.groundingThreshold must be a number from 0 to 0\.99 \(1 would block every answer\), got 1/],
      [{ relevanceThreshold: -0.1 }, /contextualGrounding\.relevanceThreshold must be a number from 0 to 0\.99.*got -0\.1/],
      [{ groundingThreshold: Number.NaN }, /groundingThreshold must be a number from 0 to 0\.99.*got NaN/],
    ] as const) {
      expect(() => new ChatGuardrail(testStack(), 'G', { contextualGrounding: props })).toThrow(message);
    }
    expect(() => new ChatGuardrail(testStack(), 'G', { contextualGrounding: { groundingThreshold: 0, relevanceThreshold: 0.99 } })).not.toThrow();
  });

  test('fromGuardrailAttributes: the id from the ARN, DRAFT by default; a non-guardrail ARN is refused', () => {
    const stack = testStack();
    const imported = ChatGuardrail.fromGuardrailAttributes(stack, 'G', { guardrailArn: IMPORTED_ARN });
    expect(imported.guardrailId).toBe('abc123def456');
    expect(imported.guardrailVersion).toBe('DRAFT');
    expect(() =>
      ChatGuardrail.fromGuardrailAttributes(testStack(), 'G', { guardrailArn: 'arn:aws:bedrock:us-east-1:123456789012:agent/ABC' }),
    ).toThrow(/is not a guardrail ARN/);
    expect(() => ChatGuardrail.fromGuardrailAttributes(testStack(), 'G', { guardrailArn: IMPORTED_ARN, guardrailVersion: 'v2' })).toThrow(
      /guardrailVersion/,
    );
  });
});

describe('BedrockChatFunction with a guardrail', () => {
  test('names it in every call (environment) and grants exactly bedrock:ApplyGuardrail on its ARN', () => {
    const stack = testStack();
    const guardrail = new ChatGuardrail(stack, 'Guardrail');
    const template = synth(stack, { guardrail });
    const env = variables(template);
    expect(env.CHAT_GUARDRAIL_ID).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^Guardrail/), 'GuardrailArn'] });
    expect(env.CHAT_GUARDRAIL_VERSION).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^GuardrailVersion/), 'Version'] });
    expect(env.CHAT_GUARDRAIL_STREAM_MODE).toBe('sync');
    const guardrailStatements = statements(template).filter((s) => JSON.stringify(s).includes('Guardrail'));
    expect(guardrailStatements).toEqual([
      { Action: 'bedrock:ApplyGuardrail', Effect: 'Allow', Resource: { 'Fn::GetAtt': [expect.stringMatching(/^Guardrail/), 'GuardrailArn'] } },
    ]);
    // The model statements stay as they were: no condition unless asked.
    expect(statements(template).some((s) => s.Condition?.StringEquals?.['bedrock:GuardrailIdentifier'])).toBe(false);
  });

  test('async stream processing; enforceGuardrail conditions every model-invoke statement on the guardrail ARN and version', () => {
    const stack = testStack();
    const guardrail = ChatGuardrail.fromGuardrailAttributes(stack, 'G', { guardrailArn: IMPORTED_ARN, guardrailVersion: '4' });
    const template = synth(stack, { guardrail, guardrailStreamProcessingMode: GuardrailStreamProcessingMode.ASYNC, enforceGuardrail: true });
    expect(variables(template)).toMatchObject({ CHAT_GUARDRAIL_ID: IMPORTED_ARN, CHAT_GUARDRAIL_VERSION: '4', CHAT_GUARDRAIL_STREAM_MODE: 'async' });
    const invoke = statements(template).filter((s) => [s.Action].flat().some((a: string) => a.startsWith('bedrock:InvokeModel')));
    expect(invoke.length).toBeGreaterThan(1);
    for (const statement of invoke) expect(statement.Condition.StringEquals['bedrock:GuardrailIdentifier']).toBe(`${IMPORTED_ARN}:4`);
  });

  test('a guardrail with a customer-managed key: decrypt on that key', () => {
    const stack = testStack();
    const key = kms.Key.fromKeyArn(stack, 'Key', 'arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555');
    const guardrail = ChatGuardrail.fromGuardrailAttributes(stack, 'G', { guardrailArn: IMPORTED_ARN, guardrailVersion: '1', kmsKey: key });
    const template = synth(stack, { guardrail });
    expect(statements(template)).toContainEqual({ Action: 'kms:Decrypt', Effect: 'Allow', Resource: key.keyArn });
  });

  test("aws-bedrock-alpha's Guardrail is accepted as it is, with this library's exact grant", () => {
    const stack = testStack();
    const guardrail = new alpha.Guardrail(stack, 'AlphaGuardrail', { guardrailName: 'alpha' });
    const template = synth(stack, { guardrail });
    expect(variables(template).CHAT_GUARDRAIL_VERSION).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^AlphaGuardrail/), 'Version'] });
    const apply = statements(template).filter((s) => [s.Action].flat().includes('bedrock:ApplyGuardrail'));
    expect(apply).toHaveLength(1);
    expect(apply[0].Action).toBe('bedrock:ApplyGuardrail');
  });

  test('an agent backend is refused: the guardrail belongs to the agent', () => {
    const stack = testStack();
    const guardrail = ChatGuardrail.fromGuardrailAttributes(stack, 'G', { guardrailArn: IMPORTED_ARN });
    expect(() =>
      chat(stack, {
        auth: ChatAuth.jwt({ issuer: 'https://id.example.com/', audience: 'chat' }),
        backend: ChatBackend.agent(BedrockAgentAlias.fromIds('AGENT12345', 'ALIAS12345'), { history: {} }),
        guardrail,
      }),
    ).toThrow(/an agent applies the guardrail configured on the agent itself/);
  });

  test('a guardrail checking contextual grounding is refused in async mode (an ungrounded answer would be sent already); sync is the default', () => {
    const stack = testStack();
    const guardrail = new ChatGuardrail(stack, 'G', { contextualGrounding: {} });
    expect(() => chat(stack, { guardrail, guardrailStreamProcessingMode: GuardrailStreamProcessingMode.ASYNC })).toThrow(
      /guardrailStreamProcessingMode ASYNC with a guardrail that checks contextual grounding.*use SYNC/,
    );
    const ok = testStack();
    expect(variables(synth(ok, { guardrail: new ChatGuardrail(ok, 'G', { contextualGrounding: {} }) })).CHAT_GUARDRAIL_STREAM_MODE).toBe('sync');
  });

  test('the guardrail options without a guardrail are refused', () => {
    expect(() => chat(testStack(), { enforceGuardrail: true })).toThrow(/give guardrail as well/);
  });
});
