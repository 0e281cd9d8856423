import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Stack, Stage } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ENV, FUNCTION_URL_CORS } from '../../contract';
import { parseStageConfigs, StageConfigError } from '../../lib/config/stage-config';
import { addChatStages } from '../../lib/stages/chat-stages';
import { buildProjectApp, projectContext } from '../support/cdk-app';

const { stages } = buildProjectApp({ securityChecks: false });
const configs = parseStageConfigs(projectContext.stages);

describe.each(stages.map((stage) => [stage.stageName, stage] as const))('stage %s', (name, stage) => {
  const config = configs.find((c) => c.name === name)!;
  const template = Template.fromStack(stage.streamingChat!);

  const stacks: Record<string, Stack> = {
    StreamingChat: stage.streamingChat!,
    JwtChat: stage.jwtChat!,
    GuestRagChat: stage.guestRag!,
    ...(stage.callerCredentialsChat ? { CallerCredentialsChat: stage.callerCredentialsChat } : {}),
    ...(stage.chatCompletions ? { ChatCompletions: stage.chatCompletions } : {}),
  };
  const templates = Object.fromEntries(Object.entries(stacks).map(([id, stack]) => [id, Template.fromStack(stack)]));

  test('deploys what it names: the committed stages name iamChat, jwtChat and guestRag (dev the caller-credentials chat, dev and staging the completions API, dev the page too), under the stack ids they always had', () => {
    const page = config.website ? ['ChatWebsite'] : [];
    const byo = config.callerCredentialsChat ? ['CallerCredentialsChat'] : [];
    expect(name === 'dev' ? byo : []).toEqual(name === 'dev' ? ['CallerCredentialsChat'] : []);
    const completions = config.chatCompletions ? ['ChatCompletions'] : [];
    expect(stage.node.children.filter((c) => c instanceof Stack).map((c) => c.node.id)).toEqual([
      'StreamingChat',
      'JwtChat',
      'GuestRagChat',
      ...byo,
      ...completions,
      ...page,
    ]);
    expect(completions.length > 0).toBe(name !== 'prod');
  });

  test('is a CDK Stage holding its stacks, so `cdk deploy <stage>/*` deploys one environment', () => {
    for (const [id, stack] of Object.entries(stacks)) {
      expect(stack.stackName).toBe(`${name}-${id}`);
      expect(stack.region).toBe(config.region);
    }
  });

  test.each(Object.keys(stacks))('%s: log retention and reserved concurrency follow the stage', (id) => {
    templates[id].allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: config.logRetention });
    // Every chat function; the knowledge base sync runs one batch at a time whatever the stage.
    const functions = Object.values(templates[id].findResources('AWS::Lambda::Function')).map((f) => f.Properties);
    const chats = functions.filter((f) => !String(f.Description).startsWith('Starts one ingestion job'));
    expect(chats.length).toBeGreaterThan(0);
    for (const fn of chats) expect(fn.ReservedConcurrentExecutions).toBe(config.reservedConcurrency);
    for (const fn of functions.filter((f) => !chats.includes(f))) expect(fn.ReservedConcurrentExecutions).toBe(1);
  });

  test.each(Object.keys(stacks))('%s: stateful resources follow the stage removal policy', (id) => {
    const policy = config.removalPolicy === 'retain' ? 'Retain' : 'Delete';
    for (const type of ['AWS::DynamoDB::GlobalTable', 'AWS::Logs::LogGroup', 'AWS::KMS::Key', 'AWS::S3::Bucket', 'AWS::Cognito::UserPool']) {
      for (const resource of Object.values(templates[id].findResources(type))) {
        expect({ type, DeletionPolicy: resource.DeletionPolicy }).toEqual({ type, DeletionPolicy: policy });
      }
    }
  });

  test('no hosted sign-in: the app client has OAuth off (no flows, scopes or callbacks), SRP the only sign-in, no secret', () => {
    expect(config.website?.signInDomainPrefix).toBeUndefined();
    const clients = Object.values(templates.JwtChat.findResources('AWS::Cognito::UserPoolClient')).map((c) => c.Properties);
    expect(clients).toHaveLength(1);
    expect(clients[0]).toMatchObject({
      AllowedOAuthFlowsUserPoolClient: false,
      GenerateSecret: false,
      ExplicitAuthFlows: ['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      PreventUserExistenceErrors: 'ENABLED',
      EnableTokenRevocation: true,
    });
    for (const key of ['AllowedOAuthFlows', 'AllowedOAuthScopes', 'CallbackURLs', 'LogoutURLs', 'DefaultRedirectURI']) {
      expect(clients[0]).not.toHaveProperty(key);
    }
    templates.JwtChat.resourceCountIs('AWS::Cognito::UserPoolDomain', 0);
  });

  test('the JWT chat verifies access tokens of its app client and requires no claim they lack', () => {
    templates.JwtChat.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          [ENV.jwtCognitoTokenUse]: 'access',
          [ENV.jwtAudience]: { Ref: Match.stringLikeRegexp('^UsersWebClient') },
          [ENV.jwtRequiredClaims]: '',
        }),
      },
    });
  });

  test('the JWT chat URL is public (NONE), the guest RAG chat URL needs SigV4', () => {
    templates.JwtChat.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'NONE', InvokeMode: 'RESPONSE_STREAM' });
    templates.GuestRagChat.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'AWS_IAM', InvokeMode: 'RESPONSE_STREAM' });
  });

  test('the rate limit, fail mode, CORS origins and model aliases follow the stage', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          CHAT_MODELS: JSON.stringify(config.models),
          RATE_LIMIT_PER_MINUTE: String(config.requestsPerMinute),
          RATE_LIMIT_FAIL_OPEN: String(config.rateLimitFailOpen ?? true),
        }),
      },
    });
    template.hasResourceProperties('AWS::Lambda::Url', {
      AuthType: 'AWS_IAM',
      InvokeMode: 'RESPONSE_STREAM',
      Cors: Match.objectLike({ AllowOrigins: config.corsAllowedOrigins }),
    });
  });

  test('the public-facing chats (JWT, guests) fail closed unless the stage chooses open', () => {
    for (const id of ['JwtChat', 'GuestRagChat']) {
      templates[id].hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ RATE_LIMIT_FAIL_OPEN: String(config.rateLimitFailOpen ?? false) }) },
      });
    }
  });

  test('GuestRagChat: its guardrail checks contextual grounding with the stage thresholds (0.75 each unless set), and the function streams it in sync mode', () => {
    const rag = config.guestRag!;
    templates.GuestRagChat.hasResourceProperties('AWS::Bedrock::Guardrail', {
      ContextualGroundingPolicyConfig: {
        FiltersConfig: [
          { Type: 'GROUNDING', Threshold: rag.groundingThreshold },
          { Type: 'RELEVANCE', Threshold: rag.relevanceThreshold },
        ],
      },
    });
    expect([rag.groundingThreshold, rag.relevanceThreshold]).toEqual([0.75, 0.75]);
    templates.GuestRagChat.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ [ENV.guardrailStreamMode]: 'sync', [ENV.knowledgeBaseId]: Match.anyValue() }) },
    });
  });

  test.each(Object.keys(stacks))('%s: the stage prices reach every function answering with the stage models (its EstimatedCost)', (id) => {
    const answersWithAgent = (id === 'JwtChat' && config.jwtChat?.agent) || (id === 'CallerCredentialsChat' && config.callerCredentialsChat?.agent);
    const prices = Object.fromEntries(Object.entries(config.prices ?? {}).map(([alias, p]) => [alias, { ...p }]));
    const chatFunctions = Object.values(templates[id].findResources('AWS::Lambda::Function')).filter(
      (f) => f.Properties.Environment?.Variables?.[ENV.models] !== undefined || f.Properties.Environment?.Variables?.[ENV.agentId] !== undefined,
    );
    for (const fn of chatFunctions) {
      const value = fn.Properties.Environment.Variables[ENV.modelPrices];
      if (config.prices && !answersWithAgent) expect(JSON.parse(value)).toEqual(prices);
      else expect(value).toBeUndefined();
    }
  });

  test.each(Object.keys(stacks))('%s: a dashboard and the default alarms exactly when the stage configures monitoring', (id) => {
    const dashboards = Object.keys(templates[id].findResources('AWS::CloudWatch::Dashboard'));
    const chatAlarms = Object.values(templates[id].findResources('AWS::CloudWatch::Alarm')).filter(
      (a) =>
        a.Properties.Namespace === 'BedrockChat' &&
        a.Properties.MetricName !== 'IngestionJobsFailed' &&
        a.Properties.MetricName !== 'IngestionDocumentsFailed',
    );
    if (config.monitoring) {
      expect(dashboards).toHaveLength(1);
      // The daily cost alarm where the stage sets it and the function answers with the stage's (priced) models.
      const answersWithAgent = (id === 'JwtChat' && config.jwtChat?.agent) || (id === 'CallerCredentialsChat' && config.callerCredentialsChat?.agent);
      const costAlarm = config.monitoring.dailyCostUsd !== undefined && !answersWithAgent;
      expect(chatAlarms.map((a) => a.Properties.MetricName).sort()).toEqual([
        ...(costAlarm ? ['EstimatedCost'] : []),
        'ServerErrors',
        'TimeToFirstToken',
        'UpstreamErrors',
        'UpstreamThrottles',
      ]);
      if (costAlarm) {
        const cost = chatAlarms.find((a) => a.Properties.MetricName === 'EstimatedCost')!;
        expect(cost.Properties).toMatchObject({
          Threshold: config.monitoring.dailyCostUsd,
          Statistic: 'Sum',
          Period: 86_400,
          ComparisonOperator: 'GreaterThanThreshold',
          TreatMissingData: 'notBreaching',
        });
      }
      const ttft = chatAlarms.find((a) => a.Properties.MetricName === 'TimeToFirstToken')!;
      expect(ttft.Properties.Threshold).toBe(config.monitoring.timeToFirstTokenP99Ms ?? 5000);
      // One topic per stack: the chat's alarms and, in the guest RAG stack, the knowledge base sync's.
      const topics = Object.keys(templates[id].findResources('AWS::SNS::Topic'));
      expect(topics).toHaveLength(1);
      for (const alarm of Object.values(templates[id].findResources('AWS::CloudWatch::Alarm'))) {
        expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topics[0] }]);
      }
    } else {
      expect(dashboards).toEqual([]);
      expect(chatAlarms).toEqual([]);
    }
  });
  // Registered for the stages that name chatCompletions only (dev and staging).
  const completions = config.chatCompletions;
  if (completions) {
    test('ChatCompletions: a public streaming URL over the stage models, capped, with API keys, per-key limits and budgets', () => {
      const t = templates.ChatCompletions;
      t.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'NONE', InvokeMode: 'RESPONSE_STREAM' });
      const prices = Object.fromEntries(Object.entries(config.prices ?? {}).map(([alias, p]) => [alias, { ...p }]));
      t.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({
            [ENV.models]: JSON.stringify(config.models),
            [ENV.maxTokens]: String(completions.maxTokens),
            [ENV.authMode]: 'api_key',
            [ENV.apiKeyTable]: Match.anyValue(),
            [ENV.rateLimitPerMinute]: String(completions.requestsPerMinute),
            [ENV.budgetTokensPerDay]: String(completions.tokensPerDay),
            [ENV.budgetCostPerDayUsd]: String(completions.costPerDayUsd),
            [ENV.budgetFailOpen]: String(config.rateLimitFailOpen ?? false),
            [ENV.modelPrices]: Match.serializedJson(prices),
          }),
        },
      });
      // The keys: KMS, point-in-time recovery, deletion protection where the stage retains its data.
      t.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
        KeySchema: [{ AttributeName: 'keyHash', KeyType: 'HASH' }],
        SSESpecification: Match.objectLike({ SSEEnabled: true, SSEType: 'KMS' }),
        Replicas: [
          Match.objectLike({
            PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
            DeletionProtectionEnabled: config.removalPolicy === 'retain',
          }),
        ],
      });
      // The function may only read a key by its hash: GetItem on the key table, nothing else there.
      const policies = JSON.stringify(t.findResources('AWS::IAM::ManagedPolicy'));
      expect(policies).toContain('dynamodb:GetItem');
      expect(policies).not.toMatch(/dynamodb:(Scan|PutItem|DeleteItem|Query)/);
      const outputs = t.toJSON().Outputs;
      expect(Object.keys(outputs).sort()).toEqual(['ApiKeyTableName', 'BaseUrl', 'RateLimitTableName']);
      expect(JSON.stringify(outputs.BaseUrl.Value)).toMatch(/v1/);
    });
  }

  test.each(Object.keys(stacks))('%s matches the snapshot', (id) => {
    expect(templates[id].toJSON()).toMatchSnapshot();
  });
});

describe('a stage deploys the backends it names, and only those', () => {
  const shared = {
    region: 'eu-west-1',
    removalPolicy: 'destroy',
    logRetentionDays: 7,
    reservedConcurrency: 2,
    requestsPerMinute: 5,
    rateLimitFailOpen: false,
    corsAllowedOrigins: [],
    models: { haiku: 'eu.anthropic.claude-haiku-4-5-20251001-v1:0' },
  };
  const stacksOf = (stage: Record<string, unknown>) => {
    const app = new App({ context: projectContext, outdir: mkdtempSync(path.join(tmpdir(), 'cdk-stage-')) });
    const [built] = addChatStages(app, { qa: stage });
    const assembly = app.synth();
    return { built, stacks: assembly.getNestedAssembly(built.artifactId).stacks.map((s) => s.stackName) };
  };

  test('only guestRag: only the GuestRagChat stack is synthesized', () => {
    const { built, stacks } = stacksOf({ ...shared, guestRag: {} });
    expect(stacks).toEqual(['qa-GuestRagChat']);
    expect(built.streamingChat).toBeUndefined();
    expect(built.jwtChat).toBeUndefined();
  });

  test('jwtChat with an external issuer and maxTokenAgeMinutes: no user pool, the function refuses tokens older than that', () => {
    const { built } = stacksOf({
      ...shared,
      jwtChat: { issuer: 'https://id.example.com/', audience: 'chat', requiredClaims: ['email'], maxTokenAgeMinutes: 15 },
    });
    const jwt = Template.fromStack(built.jwtChat!);
    jwt.resourceCountIs('AWS::Cognito::UserPoolClient', 0);
    jwt.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ [ENV.jwtMaxTokenAgeSeconds]: '900', [ENV.jwtRequiredClaims]: 'email', [ENV.jwtAudience]: 'chat' }),
      },
    });
    expect(JSON.stringify(jwt.toJSON())).not.toContain(ENV.jwtCognitoTokenUse);
  });

  test('only jwtChat with an agent: no models needed, only the JwtChat stack', () => {
    const { models: _models, ...withoutModels } = shared;
    const { stacks } = stacksOf({ ...withoutModels, jwtChat: { agent: { agentId: 'AGENT12345', agentAliasId: 'TSTALIASID' } } });
    expect(stacks).toEqual(['qa-JwtChat']);
  });

  test('iamChat and jwtChat: their two stacks, no guest RAG resources', () => {
    const { stacks } = stacksOf({ ...shared, iamChat: {}, jwtChat: {} });
    expect(stacks.sort()).toEqual(['qa-JwtChat', 'qa-StreamingChat']);
  });

  test('a stage naming no backend is refused, listing the keys', () => {
    expect(() => stacksOf(shared)).toThrow(
      /stages\.qa = .*expected at least one backend to deploy: iamChat, jwtChat, guestRag, callerCredentialsChat, chatCompletions/,
    );
  });

  test('only chatCompletions: only the ChatCompletions stack, with API keys and the stage rate limit by default', () => {
    const { built, stacks } = stacksOf({ ...shared, chatCompletions: {} });
    expect(stacks).toEqual(['qa-ChatCompletions']);
    const t = Template.fromStack(built.chatCompletions!);
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          [ENV.authMode]: 'api_key',
          [ENV.maxTokens]: '1024',
          [ENV.rateLimitPerMinute]: String(shared.requestsPerMinute),
        }),
      },
    });
    const variables = Object.values(t.findResources('AWS::Lambda::Function'))[0].Properties.Environment.Variables;
    expect(variables[ENV.budgetTokensPerDay]).toBeUndefined();
    expect(t.toJSON().Outputs.ApiKeyTableName).toBeDefined();
  });

  test("chatCompletions with auth jwt: the issuer's tokens, no key table", () => {
    const { built } = stacksOf({
      ...shared,
      chatCompletions: { auth: 'jwt', issuer: 'https://id.example.com/', audience: 'completions', requiredClaims: ['email'], tokensPerDay: 1000 },
    });
    const t = Template.fromStack(built.chatCompletions!);
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          [ENV.authMode]: 'jwt',
          [ENV.jwtIssuer]: 'https://id.example.com/',
          [ENV.jwtAudience]: 'completions',
          [ENV.budgetTokensPerDay]: '1000',
        }),
      },
    });
    t.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
    expect(t.toJSON().Outputs.ApiKeyTableName).toBeUndefined();
  });

  test('chatCompletions settings that cannot work are refused with the fix', () => {
    expect(() => stacksOf({ ...shared, chatCompletions: { costPerDayUsd: 5 } })).toThrow(
      /stages\.qa\.chatCompletions\.costPerDayUsd = 5; expected a price for every model in stages\.qa\.prices \(missing: haiku\)/,
    );
    expect(() => stacksOf({ ...shared, chatCompletions: { auth: 'jwt' } })).toThrow(/chatCompletions\.issuer = undefined; expected the OIDC issuer/);
    expect(() => stacksOf({ ...shared, chatCompletions: { issuer: 'https://id.example.com/' } })).toThrow(/unless auth is 'jwt'/);
    expect(() => stacksOf({ ...shared, chatCompletions: { maxTokens: 0 } })).toThrow(
      /chatCompletions\.maxTokens = 0; expected a whole number from 1 to 64000/,
    );
    expect(() => stacksOf({ ...shared, prices: { opus: { input: 1, output: 2 } }, chatCompletions: {} })).toThrow(
      /stages\.qa\.prices\.opus = .*expected a price of one of the stage's models \(haiku\)/,
    );
    expect(() => stacksOf({ ...shared, prices: { haiku: { input: -1, output: 2 } }, chatCompletions: {} })).toThrow(/prices\.haiku\.input = -1/);
  });

  test('a backend that answers with models needs the stage models', () => {
    const { models: _models, ...withoutModels } = shared;
    expect(() => stacksOf({ ...withoutModels, iamChat: {} })).toThrow(/stages\.qa\.models = undefined; expected an object of alias/);
  });
});

describe("the website key: the chat page offering the stage's backends", () => {
  const shared = {
    region: 'us-east-1',
    removalPolicy: 'destroy',
    logRetentionDays: 7,
    reservedConcurrency: 2,
    requestsPerMinute: 5,
    rateLimitFailOpen: false,
    corsAllowedOrigins: ['https://other.example.com'],
    models: { haiku: 'us.anthropic.claude-haiku-4-5-20251001-v1:0', sonnet: 'us.anthropic.claude-sonnet-4-6' },
    iamChat: {},
    jwtChat: { selfSignUp: false },
    guestRag: {},
  };
  /** The config.json files the stage's page deployment ships (as synthesized, tokens as markers). */
  const pageConfigs = (stage: Stage) => {
    const outdir = (stage.node.root as App).outdir;
    const found = (readdirSync(outdir, { recursive: true }) as string[]).filter((file) => path.basename(file) === 'config.json');
    return found.map((file) => JSON.parse(readFileSync(path.join(outdir, file), 'utf8')));
  };
  const build = (website: Record<string, unknown>) => {
    const app = new App({ context: projectContext, outdir: mkdtempSync(path.join(tmpdir(), 'cdk-site-')) });
    const [stage] = addChatStages(app, { qa: { ...shared, website } });
    return stage;
  };
  describe('with a domain name, a certificate, a firewall and a sign-in domain', () => {
    const stage = build({
      domainName: 'chat.example.com',
      certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-0000-1111-2222-333344445555',
      firewall: 'create',
      signInDomainPrefix: 'example-chat-qa',
      signedInChatPath: '/api/chat',
    });
    const site = Template.fromStack(stage.website!);
    const jwt = Template.fromStack(stage.jwtChat!);

    test('the ChatWebsite stack serves the page at the domain, TLS 1.2 or newer, behind a created web ACL', () => {
      site.hasResourceProperties('AWS::CloudFront::Distribution', {
        DistributionConfig: Match.objectLike({
          Aliases: ['chat.example.com'],
          ViewerCertificate: Match.objectLike({ MinimumProtocolVersion: 'TLSv1.2_2021' }),
          WebACLId: Match.anyValue(),
        }),
      });
      site.resourceCountIs('AWS::WAFv2::WebACL', 1);
      expect(site.toJSON().Outputs.PageUrl.Value).toBe('https://chat.example.com/');
    });

    test("every backend's CORS allows the page's origin besides the stage's own origins", () => {
      for (const stack of [stage.streamingChat!, stage.jwtChat!, stage.guestRag!]) {
        Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Url', {
          Cors: Match.objectLike({ AllowOrigins: ['https://other.example.com', 'https://chat.example.com'] }),
        });
      }
    });

    test('the JWT chat gets a managed-login domain and an app client whose only callback is the page (code flow)', () => {
      jwt.hasResourceProperties('AWS::Cognito::UserPoolDomain', { Domain: 'example-chat-qa', ManagedLoginVersion: 2 });
      jwt.hasResourceProperties('AWS::Cognito::UserPoolClient', {
        AllowedOAuthFlows: ['code'],
        AllowedOAuthFlowsUserPoolClient: true,
        CallbackURLs: ['https://chat.example.com/'],
        LogoutURLs: ['https://chat.example.com/'],
        GenerateSecret: false,
      });
    });

    test('the app client with a sign-in page: public, the code grant alone, openid alone, SRP the only direct sign-in, the page the only callback', () => {
      const clients = Object.values(jwt.findResources('AWS::Cognito::UserPoolClient')).map((c) => c.Properties);
      expect(clients).toHaveLength(1);
      expect(clients[0]).toMatchObject({
        GenerateSecret: false,
        AllowedOAuthFlowsUserPoolClient: true,
        // No implicit grant (tokens in a URL) and no client credentials; PKCE is what the public page adds to the code.
        AllowedOAuthFlows: ['code'],
        // Never aws.cognito.signin.user.admin (the token could change the user's attributes), nor email, phone or profile.
        AllowedOAuthScopes: ['openid'],
        CallbackURLs: ['https://chat.example.com/'],
        LogoutURLs: ['https://chat.example.com/'],
        SupportedIdentityProviders: ['COGNITO'],
        ExplicitAuthFlows: ['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
        PreventUserExistenceErrors: 'ENABLED',
        EnableTokenRevocation: true,
        AccessTokenValidity: 60,
        IdTokenValidity: 60,
        TokenValidityUnits: { AccessToken: 'minutes', IdToken: 'minutes' },
      });
    });

    test('one contract: the page asks for the scopes the client allows and sends the token the function verifies (access)', () => {
      const [config] = pageConfigs(stage);
      const jwtBackend = config.backends.find((b: { kind: string }) => b.kind === 'jwt');
      const client = Object.values(jwt.findResources('AWS::Cognito::UserPoolClient'))[0].Properties;
      expect(jwtBackend.signIn.scopes).toEqual(client.AllowedOAuthScopes);
      expect(jwtBackend.signIn.tokenUse).toBe('access');
      jwt.hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ [ENV.jwtCognitoTokenUse]: 'access', [ENV.jwtRequiredClaims]: '' }) },
      });
    });

    test('signedInChatPath: the JWT chat is served only through the distribution (AWS_IAM URL, OAC, the firewall in front)', () => {
      jwt.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'AWS_IAM', InvokeMode: 'RESPONSE_STREAM' });
      // No public invoke permission is left on the function: only CloudFront, for this distribution.
      expect(jwt.findResources('AWS::Lambda::Permission')).toEqual({});
      const distribution = Object.values(site.findResources('AWS::CloudFront::Distribution'))[0].Properties.DistributionConfig;
      expect(distribution.CacheBehaviors.map((b: { PathPattern: string }) => b.PathPattern)).toEqual(['/api/chat', '/api/chat/*']);
      for (const action of ['lambda:InvokeFunctionUrl', 'lambda:InvokeFunction']) {
        site.hasResourceProperties('AWS::Lambda::Permission', { Action: action, Principal: 'cloudfront.amazonaws.com', SourceArn: Match.anyValue() });
      }
    });

    test("config.json takes each backend's values from its stack, and the CSP names the origins the page calls", () => {
      const deployment = Object.values(site.findResources('Custom::CDKBucketDeployment'))[0];
      // Cross-stack values arrive as Fn::GetStackOutput (the app's feature flags): weak references, no exports.
      const imported = [
        ...JSON.stringify(deployment.Properties.SourceMarkers).matchAll(/"StackName":"(qa-\w+)","Region":"[^"]+","OutputName":"(\w+)"/g),
      ].map(([, stack, output]) => `${stack}:${output}`);
      const from = (stack: string, what: RegExp) => imported.some((name) => name.startsWith(`qa-${stack}:`) && what.test(name));
      expect({
        guestUrl: from('GuestRagChat', /FunctionUrl/),
        identityPool: from('GuestRagChat', /RefGuests/),
        guestRole: from('GuestRagChat', /UnauthenticatedRole/),
        // The JWT chat is served under /api/chat of the page's own origin: its URL is not in the page's config.
        jwtUrl: from('JwtChat', /FunctionUrl/),
        signInDomain: from('JwtChat', /SignIn/),
        appClient: from('JwtChat', /WebClient/),
        iamUrl: from('StreamingChat', /FunctionUrl/),
      }).toEqual({ guestUrl: true, identityPool: true, guestRole: true, jwtUrl: false, signInDomain: true, appClient: true, iamUrl: true });
      const csp = JSON.stringify(site.findResources('AWS::CloudFront::ResponseHeadersPolicy'));
      for (const source of ['https://cognito-identity.', 'https://sts.', '.auth.us-east-1.amazoncognito.com']) expect(csp).toContain(source);
      for (const stack of ['GuestRagChat', 'StreamingChat'])
        expect(csp).toMatch(new RegExp(`"StackName":"qa-${stack}","Region":"us-east-1","OutputName":"PublishOutputFnGetAttChatFunctionUrl`));
    });
  });

  test('without a domain name: served at the distribution name, backends keep the stage origins, no sign-in domain', () => {
    const stage = build({});
    const site = Template.fromStack(stage.website!);
    expect(site.toJSON().Outputs.PageOrigin.Value).toEqual({ 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [expect.any(String), 'DomainName'] }]] });
    Template.fromStack(stage.streamingChat!).hasResourceProperties('AWS::Lambda::Url', {
      Cors: Match.objectLike({ AllowOrigins: ['https://other.example.com'] }),
    });
    Template.fromStack(stage.jwtChat!).resourceCountIs('AWS::Cognito::UserPoolDomain', 0);
    site.resourceCountIs('AWS::WAFv2::WebACL', 0);
  });

  test('settings that cannot work are refused with the fix', () => {
    expect(() => build({ firewall: 'create', domainName: 'chat.example.com' })).toThrow(/domainName and certificateArn together/);
    expect(() => build({ signInDomainPrefix: 'example-chat-qa' })).toThrow(/website\.signInDomainPrefix .*needs both/);
    expect(() => build({ signedInChatPath: '/api/chat' })).toThrow(/signedInChatPath .*without website\.signInDomainPrefix/);
    expect(() => build({ certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc' })).toThrow(/in us-east-1/);
    const app = new App({ context: projectContext, outdir: mkdtempSync(path.join(tmpdir(), 'cdk-site-')) });
    expect(() =>
      addChatStages(app, {
        qa: { ...shared, region: 'eu-west-1', models: { haiku: 'eu.anthropic.claude-haiku-4-5-20251001-v1:0' }, website: { firewall: 'create' } },
      }),
    ).toThrow(/CloudFront web ACLs are created in us-east-1, and this stage is in eu-west-1/);
    const { iamChat: _i, guestRag: _g, ...jwtOnly } = shared;
    expect(() => addChatStages(new App({ context: projectContext }), { qb: { ...jwtOnly, website: {} } })).toThrow(/a backend the page can offer/);
  });
});

describe('Function URL CORS', () => {
  test("every chat URL allows its stage's origins with the methods and headers npm run local answers preflights with", () => {
    const checked: string[] = [];
    for (const stage of stages) {
      const origins = (projectContext.stages as Record<string, { corsAllowedOrigins: string[] }>)[stage.stageName].corsAllowedOrigins;
      for (const stack of stage.node.children.filter(Stack.isStack)) {
        const template = Template.fromStack(stack);
        const functions = template.findResources('AWS::Lambda::Function');
        for (const [id, url] of Object.entries(template.findResources('AWS::Lambda::Url'))) {
          const target = functions[url.Properties.TargetFunctionArn['Fn::GetAtt'][0]];
          const storedChats = ENV.historyTable in (target.Properties.Environment?.Variables ?? {});
          const served = stack.node.id === 'ChatCompletions' ? 'completions' : storedChats ? 'storedChats' : 'callerTurns';
          const expected = {
            AllowOrigins: origins,
            AllowMethods: FUNCTION_URL_CORS.allowMethods[served],
            AllowHeaders: FUNCTION_URL_CORS.allowHeaders[url.Properties.AuthType === 'NONE' ? 'jwt' : 'iam'],
            ExposeHeaders: FUNCTION_URL_CORS.exposeHeaders,
            MaxAge: FUNCTION_URL_CORS.defaultMaxAgeSeconds,
          };
          expect({ url: `${stack.node.path}/${id}`, cors: url.Properties.Cors }).toEqual({
            url: `${stack.node.path}/${id}`,
            cors: origins.length > 0 ? expected : undefined,
          });
          checked.push(stack.node.path);
        }
      }
    }
    expect(checked.length).toBeGreaterThanOrEqual(stages.length);
  });
});

describe('callerCredentialsChat: the chat on each caller’s own AWS credentials', () => {
  const shared = {
    region: 'eu-west-1',
    removalPolicy: 'destroy',
    logRetentionDays: 7,
    reservedConcurrency: 2,
    requestsPerMinute: 5,
    // The stage lets its other chats fail open: the public caller-credentials chat still fails closed.
    rateLimitFailOpen: true,
    corsAllowedOrigins: [],
    models: { haiku: 'eu.anthropic.claude-haiku-4-5-20251001-v1:0' },
  };
  const build = (stage: Record<string, unknown>) => {
    const app = new App({ context: projectContext, outdir: mkdtempSync(path.join(tmpdir(), 'cdk-byo-')) });
    return addChatStages(app, { qa: { ...shared, ...stage } })[0];
  };
  /** Every action the function's role may call, from its customer-managed policy. */
  const roleActions = (template: Template): string[] =>
    Object.values(template.findResources('AWS::IAM::ManagedPolicy')).flatMap((policy) =>
      (policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[] }>).flatMap((s) => [s.Action].flat()),
    );
  const variables = (template: Template): Record<string, unknown> =>
    Object.values(template.findResources('AWS::Lambda::Function'))[0].Properties.Environment.Variables;

  test('a public agent chat where the caller names the agent: public URL, per-address limit failing closed, no Bedrock permission', () => {
    const { models: _m, ...noModels } = shared;
    const app = new App({ context: projectContext, outdir: mkdtempSync(path.join(tmpdir(), 'cdk-byo-')) });
    const [stage] = addChatStages(app, {
      qa: { ...noModels, callerCredentialsChat: { allowedRegions: ['eu-west-1', 'eu-central-1'], agent: { allowCallerChoice: true } } },
    });
    expect(
      app
        .synth()
        .getNestedAssembly(stage.artifactId)
        .stacks.map((s) => s.stackName),
    ).toEqual(['qa-CallerCredentialsChat']);
    const template = Template.fromStack(stage.callerCredentialsChat!);
    template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'NONE', InvokeMode: 'RESPONSE_STREAM' });
    const env = variables(template);
    expect(env).toMatchObject({
      CHAT_AUTH_MODE: 'public',
      BEDROCK_ACCESS: 'caller-credentials',
      BEDROCK_ALLOWED_REGIONS: 'eu-west-1,eu-central-1',
      AGENT_CALLER_CHOICE: 'true',
      RATE_LIMIT_FAIL_OPEN: 'false',
      RATE_LIMIT_PER_MINUTE: '5',
    });
    // The caller is the address: no second, per-address count before it; no default agent.
    expect(Object.keys(env)).not.toEqual(expect.arrayContaining([ENV.rateLimitPerAddress]));
    expect(env[ENV.agentId]).toBeUndefined();
    expect(roleActions(template).filter((action) => action.startsWith('bedrock:') || action.startsWith('sts:'))).toEqual([]);
  });

  test('a JWT model chat on the stage models: JWT auth, the stage fail mode, still no Bedrock permission on the role', () => {
    const stage = build({ callerCredentialsChat: { auth: 'jwt', issuer: 'https://id.example.com/', audience: 'chat', requiredClaims: ['email'] } });
    const template = Template.fromStack(stage.callerCredentialsChat!);
    expect(variables(template)).toMatchObject({
      CHAT_AUTH_MODE: 'jwt',
      JWT_ISSUER: 'https://id.example.com/',
      JWT_REQUIRED_CLAIMS: 'email',
      BEDROCK_ACCESS: 'caller-credentials',
      BEDROCK_ALLOWED_REGIONS: 'eu-west-1',
      CHAT_MODELS: JSON.stringify(shared.models),
      RATE_LIMIT_FAIL_OPEN: 'true',
    });
    expect(roleActions(template).filter((action) => action.startsWith('bedrock:'))).toEqual([]);
  });

  test('a fixed agent alias with the caller’s choice allowed: the alias is the default', () => {
    const stage = build({ callerCredentialsChat: { agent: { agentId: 'AGENT12345', agentAliasId: 'ALIAS12345', allowCallerChoice: true } } });
    expect(variables(Template.fromStack(stage.callerCredentialsChat!))).toMatchObject({
      AGENT_ID: 'AGENT12345',
      AGENT_ALIAS_ID: 'ALIAS12345',
      AGENT_CALLER_CHOICE: 'true',
    });
  });

  test('settings that cannot work are refused at synth, naming the key', () => {
    expect(() => build({ callerCredentialsChat: { auth: 'jwt' } })).toThrow(/callerCredentialsChat\.issuer = undefined; expected with auth jwt/);
    expect(() => build({ callerCredentialsChat: { issuer: 'https://id.example.com/' } })).toThrow(/callerCredentialsChat\.issuer .*set auth to jwt/);
    expect(() => build({ callerCredentialsChat: { agent: {} } })).toThrow(/callerCredentialsChat\.agent = \{\}; expected/);
    expect(() => build({ callerCredentialsChat: { agent: { agentId: 'has-dash', agentAliasId: 'A1', allowCallerChoice: true } } })).toThrow(
      /callerCredentialsChat\.agent\.agentId = "has-dash"; expected a Bedrock agent or alias id/,
    );
    expect(() => build({ callerCredentialsChat: { allowedRegions: ['eu-west-1', 'evil.example.com'] } })).toThrow(/allowedRegions/);
    expect(() => build({ callerCredentialsChat: { auth: 'none' } })).toThrow(/callerCredentialsChat\.auth = "none"; expected 'public' or 'jwt'/);
  });
});

describe('bedrockAccess: one Bedrock role for every backend of the stage', () => {
  const ROLE = 'arn:aws:iam::222222222222:role/ChatBedrockAccess';
  const app = new App({ context: projectContext, outdir: mkdtempSync(path.join(tmpdir(), 'cdk-access-')) });
  const [stage] = addChatStages(app, {
    qa: {
      region: 'eu-west-1',
      removalPolicy: 'destroy',
      logRetentionDays: 7,
      reservedConcurrency: 2,
      requestsPerMinute: 5,
      corsAllowedOrigins: [],
      models: { haiku: 'eu.anthropic.claude-haiku-4-5-20251001-v1:0' },
      iamChat: {},
      jwtChat: {},
      guestRag: {},
      callerCredentialsChat: {},
      bedrockAccess: { roleArn: ROLE, externalId: 'qa-chat' },
    },
  });

  test.each(['streamingChat', 'jwtChat', 'guestRag'] as const)(
    '%s assumes the role: its role holds exactly sts:AssumeRole on it and no Bedrock statement',
    (key) => {
      const template = Template.fromStack(stage[key]!);
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ BEDROCK_ACCESS: 'assume-role', BEDROCK_ROLE_ARN: ROLE, BEDROCK_EXTERNAL_ID: 'qa-chat' }) },
      });
      // The chat function's own policy (a knowledge base's service role keeps its embedding model).
      const statements = Object.entries(template.findResources('AWS::IAM::ManagedPolicy'))
        .filter(([id]) => id.startsWith('ChatServiceRole'))
        .map(([, p]) => p)
        .flatMap((p) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>);
      expect(statements.filter((s) => JSON.stringify(s.Action).includes('bedrock:'))).toEqual([]);
      expect(statements.filter((s) => JSON.stringify(s.Action).includes('sts:'))).toEqual([
        expect.objectContaining({ Action: 'sts:AssumeRole', Resource: ROLE }),
      ]);
    },
  );

  test("the caller-credentials chat keeps its callers' credentials", () => {
    Template.fromStack(stage.callerCredentialsChat!).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ BEDROCK_ACCESS: 'caller-credentials' }) },
    });
  });

  test('a role ARN or external id that cannot work stops synthesis with a StageConfigError naming the key', () => {
    const build = (bedrockAccess: unknown) =>
      addChatStages(new App({ context: projectContext }), {
        qb: {
          region: 'eu-west-1',
          removalPolicy: 'destroy',
          logRetentionDays: 7,
          reservedConcurrency: 2,
          requestsPerMinute: 5,
          corsAllowedOrigins: [],
          models: { haiku: 'eu.anthropic.claude-haiku-4-5-20251001-v1:0' },
          iamChat: {},
          bedrockAccess,
        },
      });
    expect(() => build({ roleArn: 'arn:aws:iam::2222:role/x' })).toThrow(StageConfigError);
    expect(() => build({ roleArn: 'arn:aws:iam::2222:role/x' })).toThrow(
      /stages\.qb\.bedrockAccess\.roleArn = "arn:aws:iam::2222:role\/x"; expected an IAM role ARN/,
    );
    expect(() => build({ roleArn: ROLE, externalId: 'x' })).toThrow(/stages\.qb\.bedrockAccess\.externalId = "x"; expected 2 to 1224/);
    expect(() => build({ roleArn: ROLE, sessionName: 'x' })).toThrow(/stages\.qb\.bedrockAccess\.sessionName = "x"; expected no such setting/);
  });
});
