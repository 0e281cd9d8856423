/**
 * BedrockAccess on a chat function (every backend) and CrossAccountBedrockRole: the environment each mode writes,
 * exactly which statements land on the function's role and on the cross-account role, and validation.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { BedrockAgentAlias } from '../../../lib/bedrock/bedrock-agent-alias';
import { BedrockModel } from '../../../lib/bedrock/bedrock-model';
import { BedrockAccess } from '../../../lib/constructs/bedrock-access';
import { BedrockChatFunction } from '../../../lib/constructs/bedrock-chat-function';
import { ChatAuth } from '../../../lib/constructs/chat-auth';
import { ChatBackend } from '../../../lib/constructs/chat-backend';
import { ChatGuardrail } from '../../../lib/constructs/chat-guardrail';
import { CrossAccountBedrockRole } from '../../../lib/constructs/cross-account-bedrock-role';
import { KnowledgeBase } from '../../../lib/constructs/knowledge-base';
import { projectContext, testStack } from '../../support/cdk-app';

const ROLE_ARN = 'arn:aws:iam::222222222222:role/ChatBedrockAccess';
const HAIKU = BedrockModel.inferenceProfile('global.anthropic.claude-haiku-4-5-20251001-v1:0');
const jwt = () => ChatAuth.jwt({ issuer: 'https://issuer.example.com', audience: 'chat' });

const BACKENDS: Record<string, () => { backend: ChatBackend; auth?: ChatAuth }> = {
  models: () => ({ backend: ChatBackend.models({ haiku: HAIKU }) }),
  'stored models': () => ({ backend: ChatBackend.models({ haiku: HAIKU }, { history: {} }), auth: jwt() }),
  'knowledge base': () => ({
    backend: ChatBackend.knowledgeBase(KnowledgeBase.fromKnowledgeBaseId(new Stack(), 'Kb', 'KB12345678'), { haiku: HAIKU }),
  }),
  agent: () => ({ backend: ChatBackend.agent(BedrockAgentAlias.fromIds('AGENT12345', 'ALIAS12345'), { history: {} }), auth: jwt() }),
};

/** Every action in the function role's managed policy. */
function functionActions(template: Template): string[] {
  const policies = template.findResources('AWS::IAM::ManagedPolicy');
  return Object.values(policies).flatMap((p) =>
    (p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[] }>).flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])),
  );
}

function chatWith(access: BedrockAccess | undefined, name = 'models'): Template {
  const stack = testStack('eu-west-1');
  new BedrockChatFunction(stack, 'Chat', { ...BACKENDS[name]!(), access });
  return Template.fromStack(stack);
}

describe.each(Object.keys(BACKENDS))('with the %s backend', (name) => {
  test('assumeRole: the function role holds exactly sts:AssumeRole on that ARN and no Bedrock statement', () => {
    const template = chatWith(BedrockAccess.assumeRole({ roleArn: ROLE_ARN, externalId: 'tenant-42' }), name);
    const actions = functionActions(template);
    expect(actions.filter((a) => a.startsWith('bedrock:'))).toEqual([]);
    expect(actions.filter((a) => a.startsWith('sts:'))).toEqual(['sts:AssumeRole']);
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([{ Action: 'sts:AssumeRole', Effect: 'Allow', Resource: ROLE_ARN }]) },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ BEDROCK_ACCESS: 'assume-role', BEDROCK_ROLE_ARN: ROLE_ARN, BEDROCK_EXTERNAL_ID: 'tenant-42' }) },
    });
  });

  test('callerCredentials: no Bedrock and no STS statement at all; allowed regions default to the stack region', () => {
    const template = chatWith(BedrockAccess.callerCredentials(), name);
    expect(functionActions(template).filter((a) => a.startsWith('bedrock:') || a.startsWith('sts:'))).toEqual([]);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ BEDROCK_ACCESS: 'caller-credentials', BEDROCK_ALLOWED_REGIONS: 'eu-west-1' }) },
    });
  });

  test('functionRole (the default): the Bedrock statements on the function role, no BEDROCK_ACCESS variable', () => {
    const template = chatWith(undefined, name);
    expect(functionActions(template).some((a) => a.startsWith('bedrock:'))).toBe(true);
    const fn = Object.values(template.findResources('AWS::Lambda::Function'))[0]!;
    expect(Object.keys(fn.Properties.Environment.Variables)).not.toContain('BEDROCK_ACCESS');
  });
});

test('callerCredentials writes the allowed regions in order; bad lists are refused naming the fix', () => {
  const template = chatWith(BedrockAccess.callerCredentials({ allowedRegions: ['us-east-1', 'eu-west-1'] }));
  template.hasResourceProperties('AWS::Lambda::Function', {
    Environment: { Variables: Match.objectLike({ BEDROCK_ALLOWED_REGIONS: 'us-east-1,eu-west-1' }) },
  });
  expect(() => chatWith(BedrockAccess.callerCredentials({ allowedRegions: [] }))).toThrow(/allowedRegions must name at least one region/);
  expect(() => chatWith(BedrockAccess.callerCredentials({ allowedRegions: ['eu-west-1', 'https://evil'] }))).toThrow(
    /BedrockAccess.callerCredentials Test\/Chat: allowedRegions entry 'https:\/\/evil' is not valid/,
  );
});

test('assumeRole validates the role ARN, external id and session name', () => {
  expect(() => chatWith(BedrockAccess.assumeRole({ roleArn: 'arn:aws:iam::222222222222:user/bob' }))).toThrow(
    /roleArn .* is not valid: an IAM role ARN/,
  );
  expect(() => chatWith(BedrockAccess.assumeRole({ roleArn: ROLE_ARN, externalId: 'x' }))).toThrow(/externalId 'x' is not valid/);
  expect(() => chatWith(BedrockAccess.assumeRole({ roleArn: ROLE_ARN, sessionName: 'a b' }))).toThrow(/sessionName 'a b' is not valid/);
});

describe('CrossAccountBedrockRole', () => {
  function bedrockAccount(backend: ChatBackend): { stack: Stack; role: CrossAccountBedrockRole; template: Template } {
    const app = new App({ context: projectContext });
    const stack = new Stack(app, 'BedrockAccount', { env: { account: '222222222222', region: 'eu-west-1' } });
    const role = new CrossAccountBedrockRole(stack, 'ChatAccess', {
      chatFunctionRole: iam.Role.fromRoleArn(stack, 'ChatRole', 'arn:aws:iam::111111111111:role/chat-function-role'),
      externalId: 'tenant-42',
      backend,
      roleName: 'ChatBedrockAccess',
    });
    return { stack, role, template: Template.fromStack(stack) };
  }

  test("trusts exactly the chat function's role with the external id, and holds the statements the function role would have held", () => {
    const backend = ChatBackend.models({ haiku: HAIKU });
    const { template } = bedrockAccount(backend);
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'ChatBedrockAccess',
      MaxSessionDuration: 3600,
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { AWS: 'arn:aws:iam::111111111111:role/chat-function-role' },
            Condition: { StringEquals: { 'sts:ExternalId': 'tenant-42' } },
          },
        ],
      },
    });
    // The same statements a function-role chat in this account and region gets, built by the same code.
    const sameAccount = new Stack(new App({ context: projectContext }), 'SameAccount', { env: { account: '222222222222', region: 'eu-west-1' } });
    new BedrockChatFunction(sameAccount, 'Chat', { backend });
    const bedrockOf = (t: Template) =>
      Object.values(t.findResources('AWS::IAM::ManagedPolicy')).flatMap((p) =>
        (p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[] }>).filter((s) => JSON.stringify(s.Action).includes('bedrock:')),
      );
    expect(bedrockOf(template)).toEqual(bedrockOf(Template.fromStack(sameAccount)));
    expect(bedrockOf(template).length).toBeGreaterThan(0);
    expect(Object.keys(template.findResources('AWS::IAM::Policy'))).toEqual([]);
  });

  test('a knowledge base and an agent backend grant Retrieve and InvokeAgent on exact ARNs', () => {
    const kb = bedrockAccount(
      ChatBackend.knowledgeBase(KnowledgeBase.fromKnowledgeBaseId(new Stack(), 'Kb', 'KB12345678'), { haiku: HAIKU }),
    ).template;
    kb.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'bedrock:Retrieve' })]) },
    });
    const agent = bedrockAccount(ChatBackend.agent(BedrockAgentAlias.fromIds('AGENT12345', 'ALIAS12345'), { history: {} })).template;
    agent.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: [
          {
            Action: 'bedrock:InvokeAgent',
            Effect: 'Allow',
            Resource: 'arn:aws:bedrock:eu-west-1:222222222222:agent-alias/AGENT12345/ALIAS12345',
          },
        ],
      },
    });
    // Binding statements creates nothing: no history table in the Bedrock account.
    expect(Object.keys(agent.findResources('AWS::DynamoDB::GlobalTable'))).toEqual([]);
  });

  test('snapshot', () => {
    expect(bedrockAccount(ChatBackend.models({ haiku: HAIKU })).template.toJSON()).toMatchSnapshot();
  });

  test('an external id outside the pattern and a session over 12 hours are refused', () => {
    const stack = testStack();
    const chatFunctionRole = iam.Role.fromRoleArn(stack, 'R', 'arn:aws:iam::111111111111:role/x');
    const backend = ChatBackend.models({ haiku: HAIKU });
    expect(() => new CrossAccountBedrockRole(stack, 'A', { chatFunctionRole, backend, externalId: 'a' })).toThrow(/externalId 'a' is not valid/);
    const { Duration } = jest.requireActual<typeof import('aws-cdk-lib')>('aws-cdk-lib');
    expect(
      () => new CrossAccountBedrockRole(stack, 'B', { chatFunctionRole, backend, externalId: 'tenant-42', maxSessionDuration: Duration.hours(13) }),
    ).toThrow(/maxSessionDuration must be between 1 and 12 hours/);
  });
});

describe('a guardrail under each access mode: ApplyGuardrail lands on the identity that calls Bedrock', () => {
  const GUARDRAIL_ARN = 'arn:aws:bedrock:eu-west-1:222222222222:guardrail/abc123def456';
  const guardrailIn = (stack: Stack) =>
    ChatGuardrail.fromGuardrailAttributes(stack, 'Guardrail', { guardrailArn: GUARDRAIL_ARN, guardrailVersion: '3' });
  const chat = (access: BedrockAccess | undefined): Template => {
    const stack = testStack('eu-west-1');
    new BedrockChatFunction(stack, 'Chat', {
      backend: ChatBackend.models({ haiku: HAIKU }),
      access,
      guardrail: guardrailIn(stack),
      enforceGuardrail: true,
    });
    return Template.fromStack(stack);
  };

  test('functionRole: the function role holds exactly ApplyGuardrail on the guardrail ARN (the model statements conditioned on it)', () => {
    const template = chat(undefined);
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([{ Action: 'bedrock:ApplyGuardrail', Effect: 'Allow', Resource: GUARDRAIL_ARN }]) },
    });
  });

  test('assumeRole: the function role gets no ApplyGuardrail (no Bedrock statement at all); the CrossAccountBedrockRole carries it', () => {
    const template = chat(BedrockAccess.assumeRole({ roleArn: ROLE_ARN, externalId: 'tenant-42' }));
    expect(functionActions(template).filter((a) => a.startsWith('bedrock:'))).toEqual([]);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ CHAT_GUARDRAIL_ID: GUARDRAIL_ARN, CHAT_GUARDRAIL_VERSION: '3' }) },
    });

    const stack = new Stack(new App({ context: projectContext }), 'BedrockAccount', { env: { account: '222222222222', region: 'eu-west-1' } });
    new CrossAccountBedrockRole(stack, 'ChatAccess', {
      chatFunctionRole: iam.Role.fromRoleArn(stack, 'ChatRole', 'arn:aws:iam::111111111111:role/chat-function-role'),
      externalId: 'tenant-42',
      backend: ChatBackend.models({ haiku: HAIKU }),
      guardrail: guardrailIn(stack),
      enforceGuardrail: true,
    });
    const role = Template.fromStack(stack);
    const statements = Object.values(role.findResources('AWS::IAM::ManagedPolicy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown; Condition?: Record<string, unknown> }>,
    );
    expect(statements.filter((s) => s.Action === 'bedrock:ApplyGuardrail')).toEqual([
      { Action: 'bedrock:ApplyGuardrail', Effect: 'Allow', Resource: GUARDRAIL_ARN },
    ]);
    // enforceGuardrail: every model statement of the role names the guardrail, as the function role's would.
    const invokes = statements.filter((s) => JSON.stringify(s.Action).includes('bedrock:InvokeModel'));
    expect(invokes.length).toBeGreaterThan(0);
    for (const statement of invokes) {
      expect(JSON.stringify(statement.Condition)).toContain(`"bedrock:GuardrailIdentifier":"${GUARDRAIL_ARN}:3"`);
    }
    expect(
      () =>
        new CrossAccountBedrockRole(stack, 'Without', {
          chatFunctionRole: iam.Role.fromRoleArn(stack, 'R2', 'arn:aws:iam::111111111111:role/x'),
          externalId: 'tenant-42',
          backend: ChatBackend.models({ haiku: HAIKU }),
          enforceGuardrail: true,
        }),
    ).toThrow(/enforceGuardrail configures a guardrail: give guardrail as well/);
  });

  test("callerCredentials: nothing on the function role; the caller's identity needs ApplyGuardrail (the runtime's 403 names it)", () => {
    const template = chat(BedrockAccess.callerCredentials());
    expect(functionActions(template).filter((a) => a.startsWith('bedrock:') || a.startsWith('kms:Decrypt'))).toEqual([]);
  });
});
