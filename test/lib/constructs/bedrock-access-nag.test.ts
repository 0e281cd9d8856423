/**
 * cdk-nag (every pack) over the two sides of the cross-account layout: chat functions calling Bedrock with an
 * assumed role and with caller credentials (one of them the public agent chat whose callers name the agent, as the
 * CallerCredentialsChat stack deploys it), and the CrossAccountBedrockRole (with a guardrail) in the Bedrock account.
 * The role needs no acknowledgement at all; the functions only their inherent ones (X-Ray's Resource *, no DLQ, no
 * VPC), and the public URL its two public-access findings.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { BedrockModel } from '../../../lib/bedrock/bedrock-model';
import { BedrockAccess } from '../../../lib/constructs/bedrock-access';
import { BedrockChatFunction } from '../../../lib/constructs/bedrock-chat-function';
import { ChatAuth } from '../../../lib/constructs/chat-auth';
import { ChatBackend } from '../../../lib/constructs/chat-backend';
import { ChatGuardrail } from '../../../lib/constructs/chat-guardrail';
import { CrossAccountBedrockRole } from '../../../lib/constructs/cross-account-bedrock-role';
import { addSecurityChecks } from '../../../lib/security-checks';
import { projectContext } from '../../support/cdk-app';
import { describeAcknowledgements, expectNoUnacknowledgedFindings } from '../../support/nag';

const HAIKU = BedrockModel.inferenceProfile('global.anthropic.claude-haiku-4-5-20251001-v1:0');

function buildApp(): { app: App } {
  const app = new App({ context: projectContext, outdir: mkdtempSync(path.join(tmpdir(), 'cdk-nag-')) });
  const chat = new Stack(app, 'ChatAccount', { env: { account: '111111111111', region: 'eu-west-1' } });
  const assumed = new BedrockChatFunction(chat, 'Assumed', {
    backend: ChatBackend.models({ haiku: HAIKU }),
    access: BedrockAccess.assumeRole({ roleArn: 'arn:aws:iam::222222222222:role/ChatBedrockAccess', externalId: 'tenant-42' }),
  });
  new BedrockChatFunction(chat, 'Callers', { backend: ChatBackend.models({ haiku: HAIKU }), access: BedrockAccess.callerCredentials() });
  new BedrockChatFunction(chat, 'Agents', {
    auth: ChatAuth.publicUrl(),
    backend: ChatBackend.callerChosenAgent(),
    access: BedrockAccess.callerCredentials({ allowedRegions: ['eu-west-1', 'eu-central-1'] }),
  });
  const bedrock = new Stack(app, 'BedrockAccount', { env: { account: '222222222222', region: 'eu-west-1' } });
  new CrossAccountBedrockRole(bedrock, 'ChatAccess', {
    chatFunctionRole: assumed.role,
    externalId: 'tenant-42',
    backend: ChatBackend.models({ haiku: HAIKU }),
    roleName: 'ChatBedrockAccess',
    guardrail: ChatGuardrail.fromGuardrailAttributes(bedrock, 'Guardrail', {
      guardrailArn: 'arn:aws:bedrock:eu-west-1:222222222222:guardrail/abc123def456',
      guardrailVersion: '1',
    }),
  });
  addSecurityChecks(app);
  return { app };
}

const inherent = (fn: string): string[][] => [
  [`ChatAccount/${fn}/ServiceRole/Policy`, 'AwsSolutions-IAM5[Resource::*]'],
  [`ChatAccount/${fn}/Resource`, 'Serverless-LambdaDLQ'],
  [`ChatAccount/${fn}/Resource`, 'NIST.800.53.R5-LambdaDLQ'],
  [`ChatAccount/${fn}/Resource`, 'HIPAA.Security-LambdaDLQ'],
  [`ChatAccount/${fn}/Resource`, 'NIST.800.53.R4-LambdaInsideVPC'],
  [`ChatAccount/${fn}/Resource`, 'NIST.800.53.R5-LambdaInsideVPC'],
  [`ChatAccount/${fn}/Resource`, 'HIPAA.Security-LambdaInsideVPC'],
  [`ChatAccount/${fn}/Resource`, 'PCI.DSS.321-LambdaInsideVPC'],
];

describe('cdk-nag over BedrockAccess and CrossAccountBedrockRole', () => {
  test('synthesizes with zero unacknowledged findings', () => {
    expectNoUnacknowledgedFindings(buildApp);
  });

  const publicUrl = (fn: string): string[][] =>
    ['invoke-function-url', 'invoke-function'].flatMap((permission) => [
      [`ChatAccount/${fn}/Resource/${permission}`, 'NIST.800.53.R4-LambdaFunctionPublicAccessProhibited'],
      [`ChatAccount/${fn}/Resource/${permission}`, 'NIST.800.53.R5-LambdaFunctionPublicAccessProhibited'],
      [`ChatAccount/${fn}/Resource/${permission}`, 'HIPAA.Security-LambdaFunctionPublicAccessProhibited'],
      [`ChatAccount/${fn}/Resource/${permission}`, 'PCI.DSS.321-LambdaFunctionPublicAccessProhibited'],
    ]);
  describeAcknowledgements(buildApp, () => [...inherent('Assumed'), ...inherent('Callers'), ...inherent('Agents'), ...publicUrl('Agents')]);
});
