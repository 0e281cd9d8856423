import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { BedrockChatFunction } from '../../../lib/constructs/bedrock-chat-function';
import { CognitoGuestPool } from '../../../lib/constructs/cognito-guest-pool';
import { KnowledgeBase } from '../../../lib/constructs/knowledge-base';
import { addSecurityChecks } from '../../../lib/security-checks';
import { projectContext } from '../../support/cdk-app';
import { describeAcknowledgements, expectNoUnacknowledgedFindings, knowledgeBaseAcknowledgements } from '../../support/nag';

/** A stack with both guest-RAG constructs (a knowledge base with and one without a prefix) under every cdk-nag pack. */
function buildApp(): { app: App; stack: Stack } {
  const app = new App({ context: projectContext, outdir: mkdtempSync(path.join(tmpdir(), 'cdk-nag-')) });
  const stack = new Stack(app, 'GuestRag', { env: { account: '123456789012', region: 'us-east-1' } });
  new KnowledgeBase(stack, 'Docs', { documentsPrefix: 'docs/' });
  new KnowledgeBase(stack, 'Whole'); // the default prefix, published/
  const guests = new CognitoGuestPool(stack, 'Guests');
  guests.allowInvoke(
    BedrockChatFunction.fromFunctionAttributes(stack, 'Chat', {
      functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:chat',
      url: 'https://abc.lambda-url.us-east-1.on.aws/',
    }),
  );
  addSecurityChecks(app);
  return { app, stack };
}

function documentsBucketId(stack: Stack, kb: string): string {
  return stack.getLogicalId(stack.node.findChild(kb).node.findChild('Documents').node.defaultChild as s3.CfnBucket);
}

function expectedAcknowledgements(stack: Stack): string[][] {
  const perKnowledgeBase = (kb: string, objects: string) =>
    knowledgeBaseAcknowledgements(`GuestRag/${kb}`, `Resource::<${documentsBucketId(stack, kb)}.Arn>/${objects}`);
  return [...perKnowledgeBase('Docs', 'docs/*'), ...perKnowledgeBase('Whole', 'published/*'), ['GuestRag/Guests/Resource', 'AwsSolutions-COG7']];
}

describe('cdk-nag over KnowledgeBase and CognitoGuestPool', () => {
  test('synthesizes with zero unacknowledged findings', () => {
    expectNoUnacknowledgedFindings(buildApp);
  });

  describeAcknowledgements(buildApp, ({ stack }) => expectedAcknowledgements(stack));
});
