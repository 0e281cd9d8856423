import * as alpha from '@aws-cdk/aws-bedrock-alpha';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as bedrock from 'aws-cdk-lib/aws-bedrock';
import * as iam from 'aws-cdk-lib/aws-iam';
import { BedrockModel, IBedrockInvokable } from '../../../lib/bedrock/bedrock-model';
import { BedrockChatFunction } from '../../../lib/constructs/bedrock-chat-function';
import { ChatBackend } from '../../../lib/constructs/chat-backend';
import { testStack } from '../../support/cdk-app';

const ACCOUNT = '123456789012';
const HAIKU = 'anthropic.claude-haiku-4-5-20251001-v1:0';
const APP_PROFILE = `arn:aws:bedrock:us-east-1:${ACCOUNT}:application-inference-profile/abcd1234efgh`;

/** The chat function's Bedrock statements, resolved. */
function bedrockStatementsOf(models: Record<string, IBedrockInvokable>, stack: Stack = testStack()) {
  const chat = new BedrockChatFunction(stack, 'Chat', { backend: ChatBackend.models(models) });
  const template = Template.fromStack(stack);
  const statements = Object.values(template.findResources('AWS::IAM::ManagedPolicy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
  const env = Object.values(template.findResources('AWS::Lambda::Function'))[0].Properties.Environment.Variables;
  return { chat, template, env, bedrock: statements.filter((s) => [s.Action].flat().some((a: string) => a.startsWith('bedrock:'))) };
}

/** Resolves `{ "Fn::Join": ["", [...]] }` with the pseudo parameters of a us-east-1 stack. */
function flatten(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(flatten);
  if (value && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if ('Ref' in v)
      return ({ 'AWS::Partition': 'aws', 'AWS::Region': 'us-east-1', 'AWS::AccountId': ACCOUNT } as Record<string, string>)[v.Ref as string] ?? v;
    if ('Fn::Join' in v) {
      const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
      return parts.map(flatten).join(sep);
    }
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, flatten(x)]));
  }
  return value;
}

/**
 * Statements as (action, resource, condition) rows, whatever way IAM policy minimization merged them: what is
 * allowed, in a comparable order.
 */
function rows(statements: unknown[]): string[] {
  return (flatten(statements) as Array<{ Action: string | string[]; Resource: unknown; Condition?: unknown }>)
    .flatMap((st) =>
      [st.Action]
        .flat()
        .flatMap((action) => [st.Resource].flat().map((resource) => JSON.stringify({ action, resource, condition: st.Condition ?? null }))),
    )
    .sort();
}

const STREAM = 'bedrock:InvokeModelWithResponseStream';
const row = (resource: unknown, condition: unknown = null, action = STREAM) => JSON.stringify({ action, resource, condition });

describe('BedrockModel.applicationInferenceProfile', () => {
  test('the profile ARN, and the source profile and its models only through the application profile', () => {
    const model = BedrockModel.applicationInferenceProfile(
      APP_PROFILE,
      BedrockModel.inferenceProfile(`us.${HAIKU}`, { destinationRegions: ['us-east-1', 'us-west-2'] }),
    );
    const { bedrock, env } = bedrockStatementsOf({ tenant: model });
    const through = { StringEquals: { 'bedrock:InferenceProfileArn': APP_PROFILE } };
    expect(rows(bedrock)).toEqual(
      [
        row(APP_PROFILE),
        row(`arn:aws:bedrock:us-east-1:${ACCOUNT}:inference-profile/us.${HAIKU}`, through),
        row(`arn:aws:bedrock:us-east-1::foundation-model/${HAIKU}`, through),
        row(`arn:aws:bedrock:us-west-2::foundation-model/${HAIKU}`, through),
      ].sort(),
    );
    // The runtime invokes the application profile by its ARN.
    expect(JSON.parse(env.CHAT_MODELS)).toEqual({ tenant: APP_PROFILE });
  });

  test('a foundation-model source: the model in the stack region, only through the profile', () => {
    const { bedrock } = bedrockStatementsOf({
      tenant: BedrockModel.applicationInferenceProfile(APP_PROFILE, BedrockModel.foundationModel('amazon.nova-lite-v1:0')),
    });
    expect(flatten(bedrock)).toEqual([
      { Action: 'bedrock:InvokeModelWithResponseStream', Effect: 'Allow', Resource: APP_PROFILE },
      {
        Action: 'bedrock:InvokeModelWithResponseStream',
        Effect: 'Allow',
        Resource: 'arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0',
        Condition: { StringEquals: { 'bedrock:InferenceProfileArn': APP_PROFILE } },
      },
    ]);
  });

  test('a profile defined in the stack (a token ARN) is granted and invoked by that token', () => {
    const stack = testStack();
    const cfn = new bedrock.CfnApplicationInferenceProfile(stack, 'Tenant', {
      inferenceProfileName: 'tenant-a',
      modelSource: { copyFrom: `arn:aws:bedrock:us-east-1:${ACCOUNT}:inference-profile/global.${HAIKU}` },
    });
    const { bedrock: statements, env } = bedrockStatementsOf(
      { tenant: BedrockModel.applicationInferenceProfile(cfn.attrInferenceProfileArn, BedrockModel.inferenceProfile(`global.${HAIKU}`)) },
      stack,
    );
    const arn = { 'Fn::GetAtt': ['Tenant', 'InferenceProfileArn'] };
    const through = { StringEquals: { 'bedrock:InferenceProfileArn': arn } };
    expect(rows(statements)).toEqual(
      [
        row(arn),
        row(`arn:aws:bedrock:us-east-1:${ACCOUNT}:inference-profile/global.${HAIKU}`, through),
        row(`arn:aws:bedrock:us-east-1::foundation-model/${HAIKU}`, through),
        row(`arn:aws:bedrock:::foundation-model/${HAIKU}`, {
          StringEquals: { 'bedrock:InferenceProfileArn': arn, 'aws:RequestedRegion': 'unspecified' },
        }),
      ].sort(),
    );
    expect(JSON.stringify(env.CHAT_MODELS)).toContain('InferenceProfileArn');
  });

  test.each([
    ['a system profile ARN', `arn:aws:bedrock:us-east-1:${ACCOUNT}:inference-profile/us.${HAIKU}`],
    ['a profile id', 'abcd1234efgh'],
  ])('rejects %s as the profile ARN', (_what, arn) => {
    expect(() => BedrockModel.applicationInferenceProfile(arn, BedrockModel.foundationModel('amazon.nova-lite-v1:0'))).toThrow(
      /is not an application inference profile ARN/,
    );
  });

  test('a profile in another region than the function is refused with the fix', () => {
    const model = BedrockModel.applicationInferenceProfile(
      APP_PROFILE.replace('us-east-1', 'eu-west-1'),
      BedrockModel.foundationModel('amazon.nova-lite-v1:0'),
    );
    expect(() => bedrockStatementsOf({ tenant: model })).toThrow(
      /ChatBackend.models Test\/Chat model 'tenant': .* is in eu-west-1, but the function runs in us-east-1: use one in us-east-1/,
    );
  });
});

describe('BedrockModel.grantInvoke', () => {
  test('exact actions (Converse and ConverseStream) on the exact ARNs, in the grantee stack', () => {
    const stack = testStack();
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.AccountRootPrincipal() });
    BedrockModel.inferenceProfile(`us.${HAIKU}`, { destinationRegions: ['us-east-1'] }).grantInvoke(role);
    const statements = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement,
    );
    const profile = `arn:aws:bedrock:us-east-1:${ACCOUNT}:inference-profile/us.${HAIKU}`;
    expect(flatten(statements)).toEqual([
      { Action: ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'], Effect: 'Allow', Resource: profile },
      {
        Action: ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'],
        Effect: 'Allow',
        Resource: `arn:aws:bedrock:us-east-1::foundation-model/${HAIKU}`,
        Condition: { StringEquals: { 'bedrock:InferenceProfileArn': profile } },
      },
    ]);
  });
});

describe("interop with @aws-cdk/aws-bedrock-alpha: its invokables get this library's statements, not their own grantInvoke", () => {
  const noWildcards = (statements: unknown[]) => {
    const text = JSON.stringify(statements);
    expect(text).not.toContain('InvokeModel*');
    expect(text).not.toContain('GetFoundationModel');
    expect(text).not.toContain('GetInferenceProfile');
    expect(text).not.toContain('GetPromptRouter');
    expect(text).not.toContain(':bedrock:*:');
  };

  test('a foundation model: that model in the stack region, ConverseStream only', () => {
    const { bedrock, env } = bedrockStatementsOf({ nova: alpha.BedrockFoundationModel.AMAZON_NOVA_LITE_V1 });
    expect(rows(bedrock)).toEqual([row('arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0')]);
    expect(JSON.parse(env.CHAT_MODELS)).toEqual({ nova: 'amazon.nova-lite-v1:0' });
    noWildcards(bedrock);
  });

  test('a cross-region profile: the profile, and the model in each region of its geography only through it', () => {
    const profile = alpha.CrossRegionInferenceProfile.fromConfig({
      geoRegion: alpha.CrossRegionInferenceProfileRegion.US,
      model: alpha.BedrockFoundationModel.ANTHROPIC_CLAUDE_HAIKU_4_5_V1_0,
    });
    const { bedrock, env } = bedrockStatementsOf({ haiku: profile });
    const arn = `arn:aws:bedrock:us-east-1:${ACCOUNT}:inference-profile/us.${HAIKU}`;
    expect(flatten(bedrock)).toEqual([
      { Action: 'bedrock:InvokeModelWithResponseStream', Effect: 'Allow', Resource: arn },
      {
        Action: 'bedrock:InvokeModelWithResponseStream',
        Effect: 'Allow',
        Resource: ['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2'].map((r) => `arn:aws:bedrock:${r}::foundation-model/${HAIKU}`),
        Condition: { StringEquals: { 'bedrock:InferenceProfileArn': arn } },
      },
    ]);
    expect(JSON.parse(env.CHAT_MODELS)).toEqual({ haiku: `us.${HAIKU}` });
    noWildcards(bedrock);
  });

  test('an application inference profile: its source through it', () => {
    const stack = testStack();
    const source = alpha.CrossRegionInferenceProfile.fromConfig({
      geoRegion: alpha.CrossRegionInferenceProfileRegion.GLOBAL,
      model: alpha.BedrockFoundationModel.ANTHROPIC_CLAUDE_HAIKU_4_5_V1_0,
    });
    const profile = new alpha.ApplicationInferenceProfile(stack, 'Tenant', { applicationInferenceProfileName: 'tenant-a', modelSource: source });
    const { bedrock } = bedrockStatementsOf({ tenant: profile }, stack);
    const arn = { 'Fn::GetAtt': [stack.getLogicalId(profile.node.defaultChild as bedrock.CfnApplicationInferenceProfile), 'InferenceProfileArn'] };
    const through = { StringEquals: { 'bedrock:InferenceProfileArn': arn } };
    expect(rows(bedrock)).toEqual(
      [
        row(arn),
        row(`arn:aws:bedrock:us-east-1:${ACCOUNT}:inference-profile/global.${HAIKU}`, through),
        row(`arn:aws:bedrock:us-east-1::foundation-model/${HAIKU}`, through),
        row(`arn:aws:bedrock:::foundation-model/${HAIKU}`, {
          StringEquals: { 'bedrock:InferenceProfileArn': arn, 'aws:RequestedRegion': 'unspecified' },
        }),
      ].sort(),
    );
    noWildcards(bedrock);
  });

  test('a prompt router: the router, and each model it routes to with its own statements', () => {
    const router = alpha.PromptRouter.fromDefaultId(alpha.DefaultPromptRouterIdentifier.ANTHROPIC_CLAUDE_V1, 'us-east-1');
    const { bedrock, env } = bedrockStatementsOf({ auto: router });
    const routerArn = `arn:aws:bedrock:us-east-1:${ACCOUNT}:default-prompt-router/anthropic.claude:1`;
    const routed = ['anthropic.claude-3-haiku-20240307-v1:0', 'anthropic.claude-3-5-sonnet-20240620-v1:0'].flatMap((model) => {
      const profile = `arn:aws:bedrock:us-east-1:${ACCOUNT}:inference-profile/us.${model}`;
      return [
        row(profile),
        ...['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2'].map((r) =>
          row(`arn:aws:bedrock:${r}::foundation-model/${model}`, { StringEquals: { 'bedrock:InferenceProfileArn': profile } }),
        ),
      ];
    });
    expect(rows(bedrock)).toEqual([row(routerArn), ...routed].sort());
    expect(JSON.parse(flatten(env.CHAT_MODELS) as string)).toEqual({ auto: routerArn });
    noWildcards(bedrock);
  });

  test('an application profile whose source is unknown (imported by ARN) is refused with the fix', () => {
    const opaque: IBedrockInvokable = {
      invokableArn: APP_PROFILE,
      grantInvoke: () => {
        throw new Error('must not be called');
      },
    };
    expect(() => bedrockStatementsOf({ tenant: opaque })).toThrow(
      /source model of the application inference profile .* is unknown: use BedrockModel.applicationInferenceProfile\(arn, sourceModel\)/,
    );
  });

  test('anything else Bedrock (a provisioned model) is refused, naming what a chat model may be', () => {
    const provisioned: IBedrockInvokable = {
      invokableArn: `arn:aws:bedrock:us-east-1:${ACCOUNT}:provisioned-model/abc`,
      grantInvoke: () => {
        throw new Error('must not be called');
      },
    };
    expect(() => bedrockStatementsOf({ p: provisioned })).toThrow(
      /is a Bedrock provisioned-model; a chat model is a foundation model, an inference profile/,
    );
  });
});
