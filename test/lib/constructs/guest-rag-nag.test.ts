import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { CognitoGuestPool } from '../../../lib/constructs/cognito-guest-pool';
import { KnowledgeBase } from '../../../lib/constructs/knowledge-base';
import { addSecurityChecks } from '../../../lib/security-checks';
import { projectContext } from '../../support/cdk-app';

/** A stack with both guest-RAG constructs (a knowledge base with and one without a prefix) under every cdk-nag pack. */
function buildApp(): { app: App; stack: Stack } {
  const app = new App({ context: projectContext, outdir: mkdtempSync(path.join(tmpdir(), 'cdk-nag-')) });
  const stack = new Stack(app, 'GuestRag', { env: { account: '123456789012', region: 'us-east-1' } });
  new KnowledgeBase(stack, 'Docs', { documentsPrefix: 'docs/' });
  new KnowledgeBase(stack, 'Whole');
  const guests = new CognitoGuestPool(stack, 'Guests');
  guests.allowInvoke(lambda.Function.fromFunctionArn(stack, 'Chat', 'arn:aws:lambda:us-east-1:123456789012:function:chat'));
  addSecurityChecks(app);
  return { app, stack };
}

function documentsBucketId(stack: Stack, kb: string): string {
  return stack.getLogicalId(stack.node.findChild(kb).node.findChild('Documents').node.defaultChild as s3.CfnBucket);
}

function expectedAcknowledgements(stack: Stack): string[][] {
  const perKnowledgeBase = (kb: string, objects: string) => [
    [`GuestRag/${kb}/ServiceRole/Policy`, `AwsSolutions-IAM5[Resource::<${documentsBucketId(stack, kb)}.Arn>/${objects}]`],
    [`GuestRag/${kb}/AccessLogs`, 'NIST.800.53.R5-S3DefaultEncryptionKMS'],
    [`GuestRag/${kb}/AccessLogs`, 'HIPAA.Security-S3DefaultEncryptionKMS'],
    [`GuestRag/${kb}/AccessLogs`, 'NIST.800.53.R5-S3BucketReplicationEnabled'],
    [`GuestRag/${kb}/AccessLogs`, 'HIPAA.Security-S3BucketReplicationEnabled'],
    [`GuestRag/${kb}/Documents`, 'NIST.800.53.R5-S3BucketReplicationEnabled'],
    [`GuestRag/${kb}/Documents`, 'HIPAA.Security-S3BucketReplicationEnabled'],
  ];
  return [...perKnowledgeBase('Docs', 'docs/*'), ...perKnowledgeBase('Whole', '*'), ['GuestRag/Guests/Resource', 'AwsSolutions-COG7']];
}

interface Finding { ruleName: string; constructPath: string }
interface Acknowledgement { path: string; id: string; reason: string }

/** Synthesizes with acknowledgements recorded but not applied; returns what cdk-nag reports. */
function findingsWithoutAcknowledgements() {
  const acknowledgements: Acknowledgement[] = [];
  const spy = jest.spyOn(Validations.prototype, 'acknowledge').mockImplementation(function (this: Validations, ...rules) {
    const scope = (this as unknown as { scope: { node: { path: string } } }).scope;
    for (const rule of rules) acknowledgements.push({ path: scope.node.path, id: rule.id, reason: rule.reason });
  });
  try {
    const { app, stack } = buildApp();
    expect(() => app.synth()).toThrow(/A copy of this report can be found in/);
    const report = JSON.parse(readFileSync(path.join(app.outdir, 'validation-report.json'), 'utf8'));
    const findings: Finding[] = report.pluginReports.flatMap((plugin: { violations: Array<{ ruleName: string; violatingConstructs: Array<{ constructPath: string }> }> }) =>
      plugin.violations.flatMap((v) => v.violatingConstructs.map((c) => ({ ruleName: v.ruleName, constructPath: c.constructPath }))));
    return { findings, acknowledgements, stack };
  } finally {
    spy.mockRestore();
  }
}

describe('cdk-nag over KnowledgeBase and CognitoGuestPool', () => {
  test('synthesizes with zero unacknowledged findings', () => {
    const { app } = buildApp();
    expect(() => app.synth()).not.toThrow();
  });

  describe('acknowledgements', () => {
    let result: ReturnType<typeof findingsWithoutAcknowledgements>;
    beforeAll(() => { result = findingsWithoutAcknowledgements(); });

    test('are exactly the reviewed list', () => {
      expect(result.acknowledgements.map((a) => [a.path, a.id]).sort()).toEqual(expectedAcknowledgements(result.stack).sort());
    });

    test('each covers exactly one real finding, and every finding is covered by exactly one', () => {
      const covering = (f: Finding) => result.acknowledgements.filter((a) => a.id === f.ruleName && (f.constructPath === a.path || f.constructPath.startsWith(`${a.path}/`)));
      expect(result.findings.length).toBeGreaterThan(0);
      for (const finding of result.findings) expect({ finding, covered: covering(finding).length }).toEqual({ finding, covered: 1 });
      for (const ack of result.acknowledgements) {
        const covered = result.findings.filter((f) => covering(f).includes(ack));
        expect({ ack: [ack.path, ack.id], findings: covered.length }).toEqual({ ack: [ack.path, ack.id], findings: 1 });
      }
    });

    test('each gives a specific reason', () => {
      for (const ack of result.acknowledgements) expect(ack.reason.length).toBeGreaterThan(80);
    });
  });
});
