/**
 * cdk-nag (every pack) over the two sides of the cross-account layout: chat functions calling Bedrock with an
 * assumed role and with caller credentials, and the CrossAccountBedrockRole in the Bedrock account. The role needs no
 * acknowledgement at all; the functions only their inherent ones (X-Ray's Resource *, no DLQ, no VPC).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { BedrockModel } from '../../../lib/bedrock/bedrock-model';
import { BedrockAccess } from '../../../lib/constructs/bedrock-access';
import { BedrockChatFunction } from '../../../lib/constructs/bedrock-chat-function';
import { ChatBackend } from '../../../lib/constructs/chat-backend';
import { CrossAccountBedrockRole } from '../../../lib/constructs/cross-account-bedrock-role';
import { addSecurityChecks } from '../../../lib/security-checks';
import { projectContext } from '../../support/cdk-app';
import { describeAcknowledgements } from '../../support/nag';

const HAIKU = BedrockModel.inferenceProfile('global.anthropic.claude-haiku-4-5-20251001-v1:0');

function buildApp(): { app: App } {
  const app = new App({ context: projectContext, outdir: mkdtempSync(path.join(tmpdir(), 'cdk-nag-')) });
  const chat = new Stack(app, 'ChatAccount', { env: { account: '111111111111', region: 'eu-west-1' } });
  const assumed = new BedrockChatFunction(chat, 'Assumed', {
    backend: ChatBackend.models({ haiku: HAIKU }),
    access: BedrockAccess.assumeRole({ roleArn: 'arn:aws:iam::222222222222:role/ChatBedrockAccess', externalId: 'tenant-42' }),
  });
  new BedrockChatFunction(chat, 'Callers', { backend: ChatBackend.models({ haiku: HAIKU }), access: BedrockAccess.callerCredentials() });
  const bedrock = new Stack(app, 'BedrockAccount', { env: { account: '222222222222', region: 'eu-west-1' } });
  new CrossAccountBedrockRole(bedrock, 'ChatAccess', {
    chatFunctionRole: assumed.role,
    externalId: 'tenant-42',
    backend: ChatBackend.models({ haiku: HAIKU }),
    roleName: 'ChatBedrockAccess',
  });
  addSecurityChecks(app);
  return { app };
}

const inherent = (fn: string): string[][] => [
  [`ChatAccount/${fn}/ServiceRole/Policy`, 'AwsSolutions-IAM5[Resource::*]'],
  [`ChatAccount/${fn}/Resource`, 'Serverless-LambdaDLQ'],
  [`ChatAccount/${fn}/Resource`, 'NIST.800.53.R5-LambdaDLQ'],
  [`ChatAccount/${fn}/Resource`, 'HIPAA.Security-LambdaDLQ'],
  [`ChatAccount/${fn}/Resource`, 'NIST.800.53.R5-LambdaInsideVPC'],
  [`ChatAccount/${fn}/Resource`, 'HIPAA.Security-LambdaInsideVPC'],
];

describe('cdk-nag over BedrockAccess and CrossAccountBedrockRole', () => {
  test('synthesizes with zero unacknowledged findings', () => {
    const { app } = buildApp();
    expect(() => app.synth()).not.toThrow();
  });

  describeAcknowledgements(buildApp, () => [...inherent('Assumed'), ...inherent('Callers')]);
});
