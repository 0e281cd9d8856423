import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { ChatWebsite, ChatWebsiteBackend, ChatWebsiteFirewall, ChatWebsiteSignIn } from '../../../lib/constructs/chat-website';
import { addSecurityChecks } from '../../../lib/security-checks';
import { projectContext } from '../../support/cdk-app';
import { describeAcknowledgements } from '../../support/nag';

function url(stack: Stack, id: string, authType: lambda.FunctionUrlAuthType): lambda.FunctionUrl {
  const fn = lambda.Function.fromFunctionAttributes(stack, `${id}Fn`, {
    functionArn: `arn:aws:lambda:us-east-1:123456789012:function:${id}`,
    sameEnvironment: true,
  });
  return new lambda.FunctionUrl(stack, id, { function: fn, authType, invokeMode: lambda.InvokeMode.RESPONSE_STREAM });
}

/** Two sites under every cdk-nag pack: every kind of backend with a firewall, and the smallest site without one. */
function buildApp(): { app: App; full: Stack; small: Stack } {
  const app = new App({ context: projectContext, outdir: mkdtempSync(path.join(tmpdir(), 'cdk-nag-')) });
  const full = new Stack(app, 'Full', { env: { account: '123456789012', region: 'us-east-1' } });
  new ChatWebsite(full, 'Site', {
    backends: [
      ChatWebsiteBackend.guest({
        functionUrl: url(full, 'GuestUrl', lambda.FunctionUrlAuthType.AWS_IAM),
        identityPoolId: 'us-east-1:00000000-0000-4000-8000-000000000000',
        guestRole: iam.Role.fromRoleArn(full, 'GuestRole', 'arn:aws:iam::123456789012:role/guest'),
      }),
      ChatWebsiteBackend.jwt({
        functionUrl: url(full, 'JwtUrl', lambda.FunctionUrlAuthType.AWS_IAM),
        signIn: ChatWebsiteSignIn.oidc({
          authorizeUrl: 'https://id.example.com/authorize',
          tokenUrl: 'https://id.example.com/token',
          clientId: 'chat-web',
        }),
        distributionPath: '/api/chat',
      }),
    ],
    firewall: ChatWebsiteFirewall.create(),
  });
  const small = new Stack(app, 'Small', { env: { account: '123456789012', region: 'eu-west-1' } });
  new ChatWebsite(small, 'Site', { backends: [ChatWebsiteBackend.iam({ functionUrl: url(small, 'Url', lambda.FunctionUrlAuthType.AWS_IAM) })] });
  addSecurityChecks(app);
  return { app, full, small };
}

/** The reviewed list for one site: its own buckets and distribution, and aws-cdk-lib's BucketDeployment handler. */
function perSite(stack: string, region: string, firewall: boolean): string[][] {
  const helper = `${stack}/Custom::CDKBucketDeployment8693BB64968944B69AAFB0CC9EB8756C256MiB`;
  const policy = `${helper}/ServiceRole/DefaultPolicy`;
  return [
    ...[
      'NIST.800.53.R5-S3DefaultEncryptionKMS',
      'HIPAA.Security-S3DefaultEncryptionKMS',
      'NIST.800.53.R5-S3BucketReplicationEnabled',
      'HIPAA.Security-S3BucketReplicationEnabled',
    ].flatMap((id) => [
      [`${stack}/Site/Logs`, id],
      [`${stack}/Site/Bucket`, id],
    ]),
    [`${stack}/Site/Distribution`, 'AwsSolutions-CFR1'],
    [`${stack}/Site/Distribution`, 'AwsSolutions-CFR4'],
    ...(firewall ? [] : [[`${stack}/Site/Distribution`, 'AwsSolutions-CFR2']]),
    ...[
      'Action::s3:GetBucket*',
      'Action::s3:GetObject*',
      'Action::s3:List*',
      'Action::s3:Abort*',
      'Action::s3:DeleteObject*',
      `Resource::arn:aws:s3:::cdk-hnb659fds-assets-123456789012-${region}/*`,
      'Resource::<SiteBucket978D4AEB.Arn>/*',
      'Resource::*',
    ].map((finding) => [policy, `AwsSolutions-IAM5[${finding}]`]),
    [policy, 'NIST.800.53.R5-IAMNoInlinePolicy'],
    [policy, 'HIPAA.Security-IAMNoInlinePolicy'],
    [`${helper}/ServiceRole`, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]'],
    ...[
      'AwsSolutions-L1',
      'Serverless-LambdaLatestVersion',
      'Serverless-LambdaDLQ',
      'NIST.800.53.R5-LambdaDLQ',
      'HIPAA.Security-LambdaDLQ',
      'NIST.800.53.R5-LambdaConcurrency',
      'HIPAA.Security-LambdaConcurrency',
      'NIST.800.53.R5-LambdaInsideVPC',
      'HIPAA.Security-LambdaInsideVPC',
      'Serverless-LambdaTracing',
    ].map((id) => [helper, id]),
    [`${helper}/LogGroup`, 'NIST.800.53.R5-CloudWatchLogGroupEncrypted'],
    [`${helper}/LogGroup`, 'HIPAA.Security-CloudWatchLogGroupEncrypted'],
  ];
}

describe('cdk-nag over ChatWebsite', () => {
  test('synthesizes with zero unacknowledged findings', () => {
    const { app } = buildApp();
    expect(() => app.synth()).not.toThrow();
  });

  describeAcknowledgements(buildApp, () => [...perSite('Full', 'us-east-1', true), ...perSite('Small', 'eu-west-1', false)]);
});
