import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ENV, FUNCTION_URL_CORS } from '../../contract';
import { parseStageConfigs } from '../../lib/config/stage-config';
import { addChatStages } from '../../lib/stages/chat-stages';
import { buildProjectApp, projectContext } from '../support/cdk-app';

const { stages } = buildProjectApp({ securityChecks: false });
const configs = parseStageConfigs(projectContext.stages);

describe.each(stages.map((stage) => [stage.stageName, stage] as const))('stage %s', (name, stage) => {
  const config = configs.find((c) => c.name === name)!;
  const template = Template.fromStack(stage.streamingChat!);

  const stacks = { StreamingChat: stage.streamingChat!, JwtChat: stage.jwtChat!, GuestRagChat: stage.guestRag! };
  const templates = Object.fromEntries(Object.entries(stacks).map(([id, stack]) => [id, Template.fromStack(stack)]));

  test('deploys what it names: the committed stages name iamChat, jwtChat and guestRag (dev the page too), under the stack ids they always had', () => {
    const page = config.website ? ['ChatWebsite'] : [];
    expect(stage.node.children.filter((c) => c instanceof Stack).map((c) => c.node.id)).toEqual([
      'StreamingChat',
      'JwtChat',
      'GuestRagChat',
      ...page,
    ]);
  });

  test('is a CDK Stage holding its stacks, so `cdk deploy <stage>/*` deploys one environment', () => {
    for (const [id, stack] of Object.entries(stacks)) {
      expect(stack.stackName).toBe(`${name}-${id}`);
      expect(stack.region).toBe(config.region);
    }
  });

  test.each(Object.keys(stacks))('%s: log retention and reserved concurrency follow the stage', (id) => {
    templates[id].allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: config.logRetention });
    templates[id].allResourcesProperties('AWS::Lambda::Function', { ReservedConcurrentExecutions: config.reservedConcurrency });
  });

  test.each(Object.keys(stacks))('%s: stateful resources follow the stage removal policy', (id) => {
    const policy = config.removalPolicy === 'retain' ? 'Retain' : 'Delete';
    for (const type of ['AWS::DynamoDB::GlobalTable', 'AWS::Logs::LogGroup', 'AWS::KMS::Key', 'AWS::S3::Bucket', 'AWS::Cognito::UserPool']) {
      for (const resource of Object.values(templates[id].findResources(type))) {
        expect({ type, DeletionPolicy: resource.DeletionPolicy }).toEqual({ type, DeletionPolicy: policy });
      }
    }
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
    expect(() => stacksOf(shared)).toThrow(/stages\.qa = .*expected at least one backend to deploy: iamChat, jwtChat, guestRag/);
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
    jwtChat: { requiredClaims: ['email'], selfSignUp: false },
    guestRag: {},
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
          const expected = {
            AllowOrigins: origins,
            AllowMethods: FUNCTION_URL_CORS.allowMethods[storedChats ? 'storedChats' : 'callerTurns'],
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
