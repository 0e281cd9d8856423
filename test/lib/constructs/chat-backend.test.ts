import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { BundleName } from '../../../contract/bundles';
import { BedrockAgentAlias } from '../../../lib/bedrock/bedrock-agent-alias';
import { BedrockModel } from '../../../lib/bedrock/bedrock-model';
import { BedrockAccess } from '../../../lib/constructs/bedrock-access';
import { BedrockChatFunction, BedrockChatFunctionProps } from '../../../lib/constructs/bedrock-chat-function';
import { ChatAuth, CognitoTokenUse } from '../../../lib/constructs/chat-auth';
import { ChatBackend } from '../../../lib/constructs/chat-backend';
import { ChatHistoryTable } from '../../../lib/constructs/chat-history-table';
import { KnowledgeBase } from '../../../lib/constructs/knowledge-base';
import { bundleDirectory } from '../../../lib/private/bundles';
import { testStack } from '../../support/cdk-app';

const HAIKU = 'us.anthropic.claude-haiku-4-5-20251001-v1:0';
const models = { haiku: BedrockModel.inferenceProfile(HAIKU) };
const agent = BedrockAgentAlias.fromIds('AGENT12345', 'ALIAS12345');
const jwt = ChatAuth.jwt({ issuer: 'https://id.example.com/', audience: 'chat-api', requiredClaims: ['email', 'username'] });

function build(props: Partial<BedrockChatFunctionProps>, stack: Stack = testStack()) {
  const chat = new BedrockChatFunction(stack, 'Chat', { ...props } as BedrockChatFunctionProps);
  return { chat, template: Template.fromStack(stack) };
}

function statements(template: Template) {
  return Object.values(template.findResources('AWS::IAM::ManagedPolicy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
}

function bedrockStatements(template: Template) {
  return statements(template).filter((s) => [s.Action].flat().some((a: string) => a.startsWith('bedrock:')));
}

describe('BedrockChatFunction with JWT auth', () => {
  test('the URL is public (NONE) and the handler gets the verification settings', () => {
    const { template } = build({ auth: jwt, backend: ChatBackend.models(models, { history: {} }) });
    template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'NONE', InvokeMode: 'RESPONSE_STREAM' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          JWT_ISSUER: 'https://id.example.com/',
          JWT_AUDIENCE: 'chat-api',
          JWT_JWKS_URI: 'https://id.example.com/.well-known/jwks.json',
          JWT_ALGORITHMS: 'RS256',
          JWT_REQUIRED_CLAIMS: 'email,username',
          JWT_CLOCK_SKEW_SECONDS: '30',
          HISTORY_TURNS: '10',
        }),
      },
    });
  });

  test('a Cognito pool: issuer and JWKS of the pool, the app client as audience, the token use', () => {
    const stack = testStack();
    const pool = new cognito.UserPool(stack, 'Pool');
    const client = pool.addClient('Client');
    const { template } = build(
      { auth: ChatAuth.cognito(pool, client, { tokenUse: CognitoTokenUse.ID }), backend: ChatBackend.models(models) },
      stack,
    );
    const env = Object.values(template.findResources('AWS::Lambda::Function'))[0].Properties.Environment.Variables;
    expect(JSON.stringify(env.JWT_ISSUER)).toContain('https://cognito-idp.us-east-1.');
    expect(JSON.stringify(env.JWT_ISSUER)).toContain(stack.getLogicalId(pool.node.defaultChild as cognito.CfnUserPool));
    expect(env.JWT_AUDIENCE).toEqual({ Ref: stack.getLogicalId(client.node.defaultChild as cognito.CfnUserPoolClient) });
    expect(env.JWT_COGNITO_TOKEN_USE).toBe('id');
  });

  test('creates a history table; the role gets exactly the read, append and delete actions on it', () => {
    const { template } = build({ auth: jwt, backend: ChatBackend.models(models, { history: {} }) });
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', 2);
    const dynamo = statements(template).filter((s) => [s.Action].flat().some((a: string) => a.startsWith('dynamodb:')));
    expect(dynamo.flatMap((s) => [s.Action].flat()).sort()).toEqual([
      'dynamodb:BatchWriteItem',
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      'dynamodb:UpdateItem',
    ]);
  });

  test('uses the history table given', () => {
    const stack = testStack();
    const history = new ChatHistoryTable(stack, 'Chats');
    const { template } = build({ auth: jwt, backend: ChatBackend.models(models, { history: { table: history } }) }, stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ HISTORY_TABLE_NAME: { Ref: stack.getLogicalId(history.table.node.defaultChild as never) } }) },
    });
  });

  test('CORS allows GET, POST and DELETE with the token headers', () => {
    const { template } = build({
      auth: jwt,
      backend: ChatBackend.models(models, { history: {} }),
      cors: { allowedOrigins: ['https://chat.example.com'] },
    });
    template.hasResourceProperties('AWS::Lambda::Url', {
      Cors: Match.objectLike({ AllowMethods: ['GET', 'POST', 'DELETE'], AllowHeaders: Match.arrayWith(['authorization', 'id_token']) }),
    });
  });

  test('with an agent, the only Bedrock permission is InvokeAgent on exactly that alias', () => {
    const { template } = build({ auth: jwt, backend: ChatBackend.agent(agent, { history: {} }) });
    expect(bedrockStatements(template)).toEqual([
      {
        Action: 'bedrock:InvokeAgent',
        Effect: 'Allow',
        Resource: 'arn:aws:bedrock:us-east-1:123456789012:agent-alias/AGENT12345/ALIAS12345',
      },
    ]);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ AGENT_ID: 'AGENT12345', AGENT_ALIAS_ID: 'ALIAS12345' }) },
    });
  });

  test('with models, the only Bedrock permission is ConverseStream on those models', () => {
    const { template } = build({ auth: jwt, backend: ChatBackend.models(models, { history: {} }) });
    expect(new Set(bedrockStatements(template).map((s) => s.Action))).toEqual(new Set(['bedrock:InvokeModelWithResponseStream']));
  });

  test.each([
    ['HS256', { algorithms: ['HS256'] }, /never 'none' or HMAC/],
    ['none', { algorithms: ['none'] }, /never 'none' or HMAC/],
    ['an http issuer', { issuer: 'http://id.example.com/' }, /issuer must be an https URL/],
    ['an empty audience', { audience: ' ' }, /audience must not be empty/],
    ['a 10-minute clock skew', { clockSkew: Duration.minutes(10) }, /clockSkew must be at most 5 minutes/],
  ])('rejects %s', (_what, override, message) => {
    const auth = ChatAuth.jwt({ issuer: 'https://id.example.com/', audience: 'chat', ...override } as never);
    expect(() => build({ auth, backend: ChatBackend.models(models) })).toThrow(message);
  });

  test('an agent or history needs JWT auth (IAM callers own no chats), naming the fix', () => {
    expect(() => build({ backend: ChatBackend.agent(agent, { history: {} }) })).toThrow(
      /ChatBackend.agent Test\/Chat: stored chats \(history\) need a signed-in user.*use ChatAuth.jwt/,
    );
    const stack = testStack();
    expect(() => build({ backend: ChatBackend.models(models, { history: { table: new ChatHistoryTable(stack, 'H') } }) }, stack)).toThrow(
      /ChatBackend.models Test\/Chat: stored chats \(history\) need a signed-in user.*or drop history/,
    );
  });
});

describe('BedrockChatFunction with a knowledge base', () => {
  test('may Retrieve only on its own knowledge base, and gets the retrieval settings', () => {
    const stack = testStack();
    const kb = KnowledgeBase.fromKnowledgeBaseId(stack, 'Kb', 'KBID123456');
    const { template } = build({ backend: ChatBackend.knowledgeBase(kb, models, { numberOfResults: 3, minScore: 0.5 }) }, stack);
    const retrieve = bedrockStatements(template).filter((s) => s.Action === 'bedrock:Retrieve');
    expect(retrieve).toEqual([
      { Action: 'bedrock:Retrieve', Effect: 'Allow', Resource: 'arn:aws:bedrock:us-east-1:123456789012:knowledge-base/KBID123456' },
    ]);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ KNOWLEDGE_BASE_ID: 'KBID123456', RETRIEVAL_RESULTS: '3', RETRIEVAL_MIN_SCORE: '0.5' }) },
    });
    template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'AWS_IAM' });
  });

  test('a knowledge base of this app tells the runtime its published prefix (sources are named by their key under it); an imported one does not', () => {
    const stack = testStack();
    const kb = new KnowledgeBase(stack, 'Docs', { documentsPrefix: 'public/docs/' });
    const { template } = build({ backend: ChatBackend.knowledgeBase(kb, models) }, stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ KNOWLEDGE_BASE_DOCUMENTS_PREFIX: 'public/docs/' }) },
    });
    const other = testStack();
    const imported = build({ backend: ChatBackend.knowledgeBase(KnowledgeBase.fromKnowledgeBaseId(other, 'Kb', 'KBID123456'), models) }, other);
    const env = Object.values(imported.template.findResources('AWS::Lambda::Function'))[0].Properties.Environment.Variables;
    expect(env).not.toHaveProperty('KNOWLEDGE_BASE_DOCUMENTS_PREFIX');
  });

  test('rejects bad retrieval settings, naming the value', () => {
    const stack = testStack();
    const kb = KnowledgeBase.fromKnowledgeBaseId(stack, 'Kb', 'KBID123456');
    expect(() => build({ backend: ChatBackend.knowledgeBase(kb, models, { numberOfResults: 0 }) }, stack)).toThrow(
      /numberOfResults must be a whole number from 1 to 100, got 0/,
    );
    const other = testStack();
    expect(() =>
      build({ backend: ChatBackend.knowledgeBase(KnowledgeBase.fromKnowledgeBaseId(other, 'Kb', 'KBID123456'), models, { minScore: 2 }) }, other),
    ).toThrow(/minScore must be between 0 and 1, got 2/);
  });
});

describe('ChatBackend: what each backend binds', () => {
  const bundleOf = (template: Template) => {
    const fn = Object.values(template.findResources('AWS::Lambda::Function'))[0];
    return fn.Metadata?.['aws:asset:path'] as string | undefined;
  };

  test('models with JWT auth and no history: a stateless chat on the model-chat bundle, POST only, no table', () => {
    const { template } = build({ auth: jwt, backend: ChatBackend.models(models), cors: { allowedOrigins: ['https://chat.example.com'] } });
    const env = Object.values(template.findResources('AWS::Lambda::Function'))[0].Properties.Environment.Variables;
    expect(env.CHAT_AUTH_MODE).toBe('jwt');
    expect(env).not.toHaveProperty('HISTORY_TABLE_NAME');
    expect(env).not.toHaveProperty('HISTORY_TURNS');
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
    template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'NONE', Cors: Match.objectLike({ AllowMethods: ['POST'] }) });
    expect(
      statements(template)
        .flatMap((s) => [s.Action].flat())
        .filter((a: string) => a.startsWith('dynamodb:')),
    ).toEqual(['dynamodb:UpdateItem']);
  });

  test.each([
    ['models', () => ChatBackend.models(models), ChatAuth.iam(), 'model-chat'],
    ['models with history', () => ChatBackend.models(models, { history: {} }), jwt, 'stored-model-chat'],
    [
      'a knowledge base',
      (stack: Stack) => ChatBackend.knowledgeBase(KnowledgeBase.fromKnowledgeBaseId(stack, 'Kb', 'KBID123456'), models),
      ChatAuth.iam(),
      'rag-chat',
    ],
    ['an agent', () => ChatBackend.agent(agent, { history: {} }), jwt, 'stored-agent-chat'],
    ['an agent without stored chats', () => ChatBackend.agent(agent), ChatAuth.publicUrl(), 'agent-chat'],
  ])('%s deploys its own bundle', (_what, backend, auth, bundle) => {
    const stack = testStack();
    stack.node.setContext('aws:cdk:enable-asset-metadata', true);
    const { template } = build({ auth, backend: backend(stack) }, stack);
    // The staged asset is the prebuilt bundle of that mode, byte for byte.
    const staged = readFileSync(path.join((stack.node.root as App).outdir, bundleOf(template)!, 'index.mjs'));
    expect(staged.equals(readFileSync(path.join(bundleDirectory(bundle as BundleName), 'index.mjs')))).toBe(true);
  });

  test('history.turns is written, and refused outside 0 to 50', () => {
    const { template } = build({ auth: jwt, backend: ChatBackend.models(models, { history: { turns: 0 } }) });
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ HISTORY_TURNS: '0' }) } });
    expect(() => build({ auth: jwt, backend: ChatBackend.models(models, { history: { turns: 51 } }) })).toThrow(
      /ChatBackend.models Test\/Chat: history.turns must be a whole number from 0 to 50, got 51/,
    );
  });

  test('an agent without stored chats deploys the agent-chat bundle with any auth, InvokeAgent on exactly its alias', () => {
    for (const auth of [jwt, ChatAuth.iam(), ChatAuth.publicUrl()]) {
      const { template } = build({ auth, backend: ChatBackend.agent(agent) });
      expect(bedrockStatements(template)).toEqual([
        {
          Action: 'bedrock:InvokeAgent',
          Effect: 'Allow',
          Resource: 'arn:aws:bedrock:us-east-1:123456789012:agent-alias/AGENT12345/ALIAS12345',
        },
      ]);
      const variables = Object.values(template.findResources('AWS::Lambda::Function'))[0].Properties.Environment.Variables;
      expect(variables).toMatchObject({ AGENT_ID: 'AGENT12345', AGENT_ALIAS_ID: 'ALIAS12345' });
      expect(variables.AGENT_CALLER_CHOICE).toBeUndefined();
      expect(variables.HISTORY_TABLE_NAME).toBeUndefined();
    }
  });

  test("an agent the caller names: only with the caller's own credentials, which hold every Bedrock permission", () => {
    const byo = BedrockAccess.callerCredentials();
    const { template } = build({ auth: ChatAuth.publicUrl(), access: byo, backend: ChatBackend.callerChosenAgent() });
    expect(bedrockStatements(template)).toEqual([]);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ AGENT_CALLER_CHOICE: 'true', BEDROCK_ACCESS: 'caller-credentials', CHAT_AUTH_MODE: 'public' }) },
    });
    const withDefault = build({ auth: jwt, access: byo, backend: ChatBackend.agent(agent, { allowCallerChoice: true }) }).template;
    withDefault.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ AGENT_ID: 'AGENT12345', AGENT_CALLER_CHOICE: 'true' }) },
    });
    for (const access of [undefined, BedrockAccess.assumeRole({ roleArn: 'arn:aws:iam::222222222222:role/Central' })]) {
      expect(() => build({ auth: jwt, access, backend: ChatBackend.callerChosenAgent() })).toThrow(
        /ChatBackend.callerChosenAgent Test\/Chat: a caller may name the agent only when it calls Bedrock with its own credentials: use access: BedrockAccess.callerCredentials\(\)/,
      );
    }
    expect(() => build({ auth: jwt, access: byo, backend: ChatBackend.agent(agent, { allowCallerChoice: true, history: {} }) })).toThrow(
      /allowCallerChoice: a stored chat keeps one agent session/,
    );
    // No role can hold statements for agents callers choose: a CrossAccountBedrockRole for one is refused.
    expect(() => ChatBackend.callerChosenAgent().bedrockStatements(testStack())).toThrow(/no role holds their statements/);
  });

  test('prices become CHAT_MODEL_PRICES (only the aliases given); an unknown alias or a negative price is refused', () => {
    const { template } = build({
      backend: ChatBackend.models(
        { haiku: BedrockModel.inferenceProfile(HAIKU), nova: BedrockModel.foundationModel('amazon.nova-lite-v1:0') },
        { prices: { haiku: { inputPerMillionTokens: 1, outputPerMillionTokens: 5 } } },
      ),
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ CHAT_MODEL_PRICES: '{"haiku":{"input":1,"output":5}}' }) },
    });
    expect(() =>
      build({ backend: ChatBackend.models(models, { prices: { opus: { inputPerMillionTokens: 1, outputPerMillionTokens: 1 } } }) }),
    ).toThrow(/prices names 'opus', which is not a model alias of this backend \(haiku\)/);
    expect(() =>
      build({ backend: ChatBackend.models(models, { prices: { haiku: { inputPerMillionTokens: -1, outputPerMillionTokens: 1 } } }) }),
    ).toThrow(/prices\['haiku'\] input must be a number of US dollars per million tokens/);
  });

  test('systemPrompt and maxTokens belong to the backends that generate with a model', () => {
    const { template } = build({ backend: ChatBackend.models(models, { systemPrompt: 'Answer briefly.', maxTokens: 300 }) });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ CHAT_SYSTEM_PROMPT: 'Answer briefly.', CHAT_MAX_TOKENS: '300' }) },
    });
    expect(() => build({ backend: ChatBackend.models(models, { systemPrompt: '   ' }) })).toThrow(/systemPrompt must be 1 to 3000 characters/);
  });

  test('agent ids of 1 to 10 letters or digits are accepted (the draft alias TSTALIASID among them), others refused', () => {
    expect(BedrockAgentAlias.fromIds('A1', 'TSTALIASID').agentId).toBe('A1');
    expect(() => BedrockAgentAlias.fromIds('AGENT-1', 'TSTALIASID')).toThrow(/agentId 'AGENT-1' must be 1 to 10 letters or digits/);
    expect(() => BedrockAgentAlias.fromIds('AGENT12345', 'ALIAS123456')).toThrow(/agentAliasId 'ALIAS123456' must be 1 to 10 letters or digits/);
  });
});

describe('ChatBackend.knowledgeBase with an imported knowledge base', () => {
  test('in the function region: no KNOWLEDGE_BASE_REGION, Retrieve on its ARN', () => {
    const stack = testStack();
    const kb = KnowledgeBase.fromKnowledgeBaseArn(stack, 'Kb', 'arn:aws:bedrock:us-east-1:123456789012:knowledge-base/KBID123456');
    const { template } = build({ backend: ChatBackend.knowledgeBase(kb, models) }, stack);
    const env = Object.values(template.findResources('AWS::Lambda::Function'))[0].Properties.Environment.Variables;
    expect(env.KNOWLEDGE_BASE_ID).toBe('KBID123456');
    expect(env).not.toHaveProperty('KNOWLEDGE_BASE_REGION');
  });

  test('in another region and account: KNOWLEDGE_BASE_REGION tells the runtime where to call Retrieve, and the grant names that ARN', () => {
    const stack = testStack();
    const arn = 'arn:aws:bedrock:eu-central-1:210987654321:knowledge-base/KBID123456';
    const kb = KnowledgeBase.fromKnowledgeBaseAttributes(stack, 'Kb', { knowledgeBaseArn: arn });
    expect(kb.env).toMatchObject({ region: 'eu-central-1', account: '210987654321' });
    const { template } = build({ backend: ChatBackend.knowledgeBase(kb, models) }, stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ KNOWLEDGE_BASE_ID: 'KBID123456', KNOWLEDGE_BASE_REGION: 'eu-central-1' }) },
    });
    expect(bedrockStatements(template).filter((s) => s.Action === 'bedrock:Retrieve')).toEqual([
      { Action: 'bedrock:Retrieve', Effect: 'Allow', Resource: arn },
    ]);
  });

  test('fromKnowledgeBaseAttributes refuses a bad ARN, and neither id nor ARN', () => {
    expect(() => KnowledgeBase.fromKnowledgeBaseArn(testStack(), 'Kb', 'arn:aws:bedrock:us-east-1:123456789012:agent/KBID123456')).toThrow(
      /Test\/Kb: '.*agent\/KBID123456' is not a knowledge base ARN/,
    );
    expect(() => KnowledgeBase.fromKnowledgeBaseAttributes(testStack(), 'Kb', {})).toThrow(/Test\/Kb: give the knowledge base id or its ARN/);
  });
});
