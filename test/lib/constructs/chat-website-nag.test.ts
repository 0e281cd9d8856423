import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { ChatWebsite, ChatWebsiteBackend, ChatWebsiteFirewall, ChatWebsiteSignIn } from '../../../lib/constructs/chat-website';
import { addSecurityChecks } from '../../../lib/security-checks';
import { projectContext } from '../../support/cdk-app';
import { chatWebsiteAcknowledgements, describeAcknowledgements, expectNoUnacknowledgedFindings } from '../../support/nag';

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

describe('cdk-nag over ChatWebsite', () => {
  test('synthesizes with zero unacknowledged findings', () => {
    expectNoUnacknowledgedFindings(buildApp);
  });

  describeAcknowledgements(buildApp, () => [
    ...chatWebsiteAcknowledgements('Full/Site', 'SiteBucket978D4AEB', 'arn:aws:s3:::cdk-hnb659fds-assets-123456789012-us-east-1', true),
    ...chatWebsiteAcknowledgements('Small/Site', 'SiteBucket978D4AEB', 'arn:aws:s3:::cdk-hnb659fds-assets-123456789012-eu-west-1', false),
  ]);
});
