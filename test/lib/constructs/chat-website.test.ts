import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { CognitoTokenUse } from '../../../lib/constructs/chat-auth';
import { ChatWebsite, ChatWebsiteBackend, ChatWebsiteFirewall, ChatWebsiteSignIn } from '../../../lib/constructs/chat-website';
import { testStack } from '../../support/cdk-app';

const POOL_ID = 'us-east-1:00000000-0000-4000-8000-000000000000';

function functionUrl(stack: Stack, id: string, authType: lambda.FunctionUrlAuthType): lambda.FunctionUrl {
  const fn = lambda.Function.fromFunctionAttributes(stack, `${id}Fn`, {
    functionArn: `arn:aws:lambda:us-east-1:123456789012:function:${id}`,
    sameEnvironment: true,
  });
  return new lambda.FunctionUrl(stack, id, { function: fn, authType, invokeMode: lambda.InvokeMode.RESPONSE_STREAM });
}

/** A site with every kind of backend: guest (direct), JWT (direct, Cognito sign-in), caller credentials behind the distribution, and a firewall. */
function fullSite(stack = testStack()): { stack: Stack; site: ChatWebsite } {
  const pool = new cognito.UserPool(stack, 'Users');
  const domain = pool.addDomain('Domain', { cognitoDomain: { domainPrefix: 'chat-example' } });
  const client = pool.addClient('Web');
  const site = new ChatWebsite(stack, 'Site', {
    title: 'Example chat',
    backends: [
      ChatWebsiteBackend.guest({
        functionUrl: functionUrl(stack, 'GuestUrl', lambda.FunctionUrlAuthType.AWS_IAM),
        identityPoolId: POOL_ID,
        guestRole: iam.Role.fromRoleArn(stack, 'GuestRole', 'arn:aws:iam::123456789012:role/guest'),
        models: ['haiku', 'sonnet'],
      }),
      ChatWebsiteBackend.jwt({
        functionUrl: functionUrl(stack, 'JwtUrl', lambda.FunctionUrlAuthType.NONE),
        signIn: ChatWebsiteSignIn.cognito(domain, client),
      }),
      ChatWebsiteBackend.callerCredentials({
        functionUrl: functionUrl(stack, 'OwnUrl', lambda.FunctionUrlAuthType.AWS_IAM),
        distributionPath: '/api/own',
        allowedRegions: ['us-east-1', 'eu-west-1'],
      }),
    ],
    firewall: ChatWebsiteFirewall.create({ requestsPerFiveMinutes: 500 }),
  });
  return { stack, site };
}

describe('ChatWebsite', () => {
  test('snapshot', () => {
    expect(Template.fromStack(fullSite().stack).toJSON()).toMatchSnapshot();
  });

  test('the page bucket is private and readable only by this distribution (origin access control)', () => {
    const template = Template.fromStack(fullSite().stack);
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      VersioningConfiguration: { Status: 'Enabled' },
      LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'bucket/' }),
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
    });
    template.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: Match.objectLike({ OriginAccessControlOriginType: 's3', SigningBehavior: 'always', SigningProtocol: 'sigv4' }),
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 's3:GetObject',
            Principal: { Service: 'cloudfront.amazonaws.com' },
            Condition: { StringEquals: { 'AWS:SourceArn': Match.anyValue() } },
          }),
        ]),
      },
    });
  });

  test('HTTPS only, access logs, the firewall, HTTP/2 and 3; TLS 1.2 with a custom domain', () => {
    const { stack, site } = fullSite();
    Template.fromStack(stack).hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        DefaultRootObject: 'index.html',
        DefaultCacheBehavior: Match.objectLike({ ViewerProtocolPolicy: 'redirect-to-https' }),
        Logging: Match.objectLike({ Prefix: 'cloudfront/' }),
        WebACLId: { 'Fn::GetAtt': [Match.stringLikeRegexp('SiteFirewall'), 'Arn'] },
        HttpVersion: 'http2and3',
      }),
    });
    expect(site.webAclArn).toBeDefined();

    const custom = testStack();
    new ChatWebsite(custom, 'Site', {
      backends: [ChatWebsiteBackend.iam({ functionUrl: functionUrl(custom, 'Url', lambda.FunctionUrlAuthType.AWS_IAM) })],
      domainNames: ['chat.example.com'],
      certificate: acm.Certificate.fromCertificateArn(custom, 'Cert', 'arn:aws:acm:us-east-1:123456789012:certificate/abc'),
    });
    Template.fromStack(custom).hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        Aliases: ['chat.example.com'],
        ViewerCertificate: Match.objectLike({ MinimumProtocolVersion: 'TLSv1.2_2021', SslSupportMethod: 'sni-only' }),
      }),
    });
  });

  test('the headers policy: HSTS, no framing, no referrer, and a CSP whose connect-src names only the backends and Cognito', () => {
    const { stack, site } = fullSite();
    const csp = stack.resolve(site.contentSecurityPolicy) as { 'Fn::Join': [string, unknown[]] };
    const parts = csp['Fn::Join'][1];
    const text = parts.map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join('');
    const connect = /connect-src ([^;]*)/.exec(text)![1]!;
    // 'self', the guest Function URL, the two Cognito guest endpoints, the JWT Function URL, the Cognito domain.
    // The caller-credentials backend sits behind the distribution: it is 'self'.
    expect(connect.startsWith("'self' https://")).toBe(true);
    expect(connect).toContain('GuestUrl');
    expect(connect).toContain('JwtUrl');
    expect(connect).not.toContain('OwnUrl');
    expect(connect).toContain('https://cognito-identity.');
    expect(connect).toContain('https://sts.');
    expect(connect).toContain('.amazoncognito.com');
    expect(text).toMatch(/default-src 'none'; script-src 'self'; style-src 'self'/);
    expect(text).toContain("frame-ancestors 'none'");
    expect(text).toContain("require-trusted-types-for 'script'");
    Template.fromStack(stack).hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: Match.objectLike({
        SecurityHeadersConfig: Match.objectLike({
          StrictTransportSecurity: { AccessControlMaxAgeSec: 63072000, IncludeSubdomains: true, Preload: true, Override: true },
          FrameOptions: { FrameOption: 'DENY', Override: true },
          ReferrerPolicy: { ReferrerPolicy: 'no-referrer', Override: true },
          ContentTypeOptions: { Override: true },
          ContentSecurityPolicy: { ContentSecurityPolicy: Match.anyValue(), Override: true },
        }),
      }),
    });
  });

  test('the Cognito sign-in sends access tokens and asks for openid alone by default, as ChatAuth.cognito verifies; OIDC sends ID tokens', () => {
    const stack = testStack();
    const pool = new cognito.UserPool(stack, 'Users');
    const domain = pool.addDomain('Domain', { cognitoDomain: { domainPrefix: 'chat-example' } });
    const client = pool.addClient('Web');
    expect(ChatWebsiteSignIn.cognito(domain, client)._render().config).toMatchObject({ tokenUse: 'access', scopes: ['openid'] });
    expect(ChatWebsiteSignIn.cognito(domain, client, { tokenUse: CognitoTokenUse.ID, scopes: ['openid', 'email'] })._render().config).toMatchObject({
      tokenUse: 'id',
      scopes: ['openid', 'email'],
    });
    const oidc = ChatWebsiteSignIn.oidc({
      authorizeUrl: 'https://id.example.com/authorize',
      tokenUrl: 'https://id.example.com/token',
      clientId: 'web',
    });
    expect(oidc._render().config).toMatchObject({ tokenUse: 'id', scopes: ['openid', 'email'] });
  });

  test('config.json is written at deploy time from the stack values, with the page', () => {
    const template = Template.fromStack(fullSite().stack);
    const deployments = template.findResources('Custom::CDKBucketDeployment');
    const [deployment] = Object.values(deployments) as Array<{ Properties: { SourceMarkers: unknown[]; DistributionPaths: string[] } }>;
    expect(deployment!.Properties.DistributionPaths).toEqual(['/*']);
    const markers = JSON.stringify(deployment!.Properties.SourceMarkers);
    // Tokens resolved at deploy time: the Function URLs, the guest role, the user pool client, the Cognito domain.
    expect(markers).toMatch(/GuestUrl\w*","FunctionUrl"/);
    expect(markers).toMatch(/JwtUrl\w*","FunctionUrl"/);
    expect(markers).toContain('UsersWeb');
    expect(markers).toContain('UsersDomain');
  });

  test('a backend behind the distribution: OAC to its AWS_IAM Function URL, invoke allowed only from this distribution, prefix removed at the edge', () => {
    const template = Template.fromStack(fullSite().stack);
    template.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: Match.objectLike({ OriginAccessControlOriginType: 'lambda', SigningBehavior: 'always' }),
    });
    for (const action of ['lambda:InvokeFunctionUrl', 'lambda:InvokeFunction']) {
      template.hasResourceProperties('AWS::Lambda::Permission', {
        Action: action,
        Principal: 'cloudfront.amazonaws.com',
        FunctionName: { 'Fn::GetAtt': [Match.stringLikeRegexp('^OwnUrl'), 'FunctionArn'] },
        SourceArn: {
          'Fn::Join': [
            '',
            Match.arrayWith([Match.stringLikeRegexp(':cloudfront::'), Match.objectLike({ Ref: Match.stringLikeRegexp('SiteDistribution') })]),
          ],
        },
      });
    }
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        CacheBehaviors: Match.arrayWith([
          Match.objectLike({
            PathPattern: '/api/own/*',
            ViewerProtocolPolicy: 'https-only',
            AllowedMethods: Match.arrayWith(['POST']),
            FunctionAssociations: [Match.objectLike({ EventType: 'viewer-request' })],
          }),
        ]),
      }),
    });
    template.hasResourceProperties('AWS::CloudFront::Function', { FunctionCode: Match.stringLikeRegexp('var PREFIXES = \\["/api/own"\\]') });
  });

  test('the firewall: a rate limit per address and AWS managed rule groups, logged with tokens and credentials redacted', () => {
    const template = Template.fromStack(fullSite().stack);
    template.hasResourceProperties('AWS::WAFv2::WebACL', {
      Scope: 'CLOUDFRONT',
      DefaultAction: { Allow: {} },
      Rules: Match.arrayWith([
        Match.objectLike({
          Name: 'RateLimitPerAddress',
          Action: { Block: {} },
          Statement: { RateBasedStatement: { Limit: 500, AggregateKeyType: 'IP', EvaluationWindowSec: 300 } },
        }),
        Match.objectLike({ Statement: { ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesAmazonIpReputationList' } } }),
        Match.objectLike({
          Statement: {
            ManagedRuleGroupStatement: Match.objectLike({
              Name: 'AWSManagedRulesCommonRuleSet',
              RuleActionOverrides: Match.arrayWith([Match.objectLike({ Name: 'SizeRestrictions_BODY' })]),
            }),
          },
        }),
        Match.objectLike({ Statement: { ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesKnownBadInputsRuleSet' } } }),
      ]),
    });
    template.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', {
      RedactedFields: ['authorization', 'id_token', 'x-amz-security-token', 'cookie'].map((name) => ({ SingleHeader: { Name: name } })),
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: Match.stringLikeRegexp('^aws-waf-logs-'), KmsKeyId: Match.anyValue() });
  });

  describe('refuses what cannot work, naming the fix', () => {
    test('no backend', () => {
      expect(() => new ChatWebsite(testStack(), 'Site', { backends: [] })).toThrow(/give at least one backend/);
    });

    test('a domain without a certificate', () => {
      const stack = testStack();
      expect(
        () =>
          new ChatWebsite(stack, 'Site', {
            backends: [ChatWebsiteBackend.iam({ functionUrl: functionUrl(stack, 'U', lambda.FunctionUrlAuthType.AWS_IAM) })],
            domainNames: ['chat.example.com'],
          }),
      ).toThrow(/domainNames and certificate go together/);
    });

    test('a public (NONE) Function URL behind the distribution', () => {
      const stack = testStack();
      const backend = ChatWebsiteBackend.callerCredentials({
        functionUrl: functionUrl(stack, 'U', lambda.FunctionUrlAuthType.NONE),
        distributionPath: '/api/chat',
      });
      expect(() => new ChatWebsite(stack, 'Site', { backends: [backend] })).toThrow(/signs requests to a Function URL only with AWS_IAM auth/);
    });

    test('a malformed or clashing distributionPath', () => {
      const stack = testStack();
      const url = functionUrl(stack, 'U', lambda.FunctionUrlAuthType.AWS_IAM);
      expect(
        () => new ChatWebsite(stack, 'A', { backends: [ChatWebsiteBackend.callerCredentials({ functionUrl: url, distributionPath: 'api/' })] }),
      ).toThrow(/must be a path such as '\/api\/chat'/);
      expect(
        () =>
          new ChatWebsite(stack, 'B', {
            backends: [
              ChatWebsiteBackend.callerCredentials({ functionUrl: url, distributionPath: '/api' }),
              ChatWebsiteBackend.callerCredentials({ functionUrl: url, distributionPath: '/api/x' }),
            ],
          }),
      ).toThrow(/share or nest distributionPath '\/api'/);
    });

    test('a firewall created outside us-east-1', () => {
      const stack = testStack('eu-west-1');
      expect(
        () =>
          new ChatWebsite(stack, 'Site', {
            backends: [ChatWebsiteBackend.iam({ functionUrl: functionUrl(stack, 'U', lambda.FunctionUrlAuthType.AWS_IAM) })],
            firewall: ChatWebsiteFirewall.create(),
          }),
      ).toThrow(/must be created in us-east-1.*ChatWebsiteFirewall\.fromWebAclArn/);
    });

    test('an imported web ACL that is not a CloudFront one', () => {
      const stack = testStack('eu-west-1');
      const backends = [ChatWebsiteBackend.iam({ functionUrl: functionUrl(stack, 'U', lambda.FunctionUrlAuthType.AWS_IAM) })];
      expect(
        () =>
          new ChatWebsite(stack, 'Site', {
            backends,
            firewall: ChatWebsiteFirewall.fromWebAclArn('arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/x/1'),
          }),
      ).toThrow(/not a CloudFront web ACL ARN/);
      const ok = new ChatWebsite(stack, 'Ok', {
        backends,
        firewall: ChatWebsiteFirewall.fromWebAclArn('arn:aws:wafv2:us-east-1:123456789012:global/webacl/chat/abc'),
      });
      expect(ok.webAclArn).toBe('arn:aws:wafv2:us-east-1:123456789012:global/webacl/chat/abc');
    });
  });
});
