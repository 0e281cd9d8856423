import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Validations } from 'aws-cdk-lib';
import { buildProjectApp } from '../support/cdk-app';

/**
 * Every cdk-nag acknowledgement in the app, by construct path and finding. A new one must be added
 * here on purpose, with its reason reviewed in the code that makes it.
 */
const CHAT_FUNCTION = (chat: string) => [
  [`${chat}/ServiceRole/Policy`, 'AwsSolutions-IAM5[Resource::*]'],
  [`${chat}/Resource`, 'Serverless-LambdaDLQ'],
  [`${chat}/Resource`, 'NIST.800.53.R5-LambdaDLQ'],
  [`${chat}/Resource`, 'HIPAA.Security-LambdaDLQ'],
  [`${chat}/Resource`, 'NIST.800.53.R5-LambdaInsideVPC'],
  [`${chat}/Resource`, 'HIPAA.Security-LambdaInsideVPC'],
];
const PUBLIC_URL = (chat: string) => ['invoke-function-url', 'invoke-function'].flatMap((permission) => [
  [`${chat}/Resource/${permission}`, 'NIST.800.53.R5-LambdaFunctionPublicAccessProhibited'],
  [`${chat}/Resource/${permission}`, 'HIPAA.Security-LambdaFunctionPublicAccessProhibited'],
]);
const KNOWLEDGE_BASE = (kb: string) => [
  [`${kb}/ServiceRole/Policy`, 'AwsSolutions-IAM5[Resource::<KnowledgeDocumentsA67F310A.Arn>/*]'],
  [`${kb}/AccessLogs`, 'NIST.800.53.R5-S3DefaultEncryptionKMS'],
  [`${kb}/AccessLogs`, 'HIPAA.Security-S3DefaultEncryptionKMS'],
  [`${kb}/AccessLogs`, 'NIST.800.53.R5-S3BucketReplicationEnabled'],
  [`${kb}/AccessLogs`, 'HIPAA.Security-S3BucketReplicationEnabled'],
  [`${kb}/Documents`, 'NIST.800.53.R5-S3BucketReplicationEnabled'],
  [`${kb}/Documents`, 'HIPAA.Security-S3BucketReplicationEnabled'],
];
const EXPECTED_ACKNOWLEDGEMENTS = ['dev', 'staging', 'prod'].flatMap((stage) => [
  ...CHAT_FUNCTION(`${stage}/StreamingChat/Chat`),
  ...CHAT_FUNCTION(`${stage}/JwtChat/Chat`),
  ...PUBLIC_URL(`${stage}/JwtChat/Chat`),
  ...CHAT_FUNCTION(`${stage}/GuestRagChat/Chat`),
  ...KNOWLEDGE_BASE(`${stage}/GuestRagChat/Knowledge`),
  [`${stage}/GuestRagChat/Guests/Resource`, 'AwsSolutions-COG7'],
]);

interface Finding { ruleName: string; constructPath: string }
interface Acknowledgement { path: string; id: string; reason: string }

/** Synthesizes the whole app with acknowledgements recorded but not applied, and returns what cdk-nag reports. */
function findingsWithoutAcknowledgements(): { findings: Finding[]; acknowledgements: Acknowledgement[] } {
  const acknowledgements: Acknowledgement[] = [];
  const spy = jest.spyOn(Validations.prototype, 'acknowledge').mockImplementation(function (this: Validations, ...rules) {
    const scope = (this as unknown as { scope: { node: { path: string } } }).scope;
    for (const rule of rules) acknowledgements.push({ path: scope.node.path, id: rule.id, reason: rule.reason });
  });
  try {
    const { app } = buildProjectApp();
    expect(() => app.synth()).toThrow(/A copy of this report can be found in/);
    const report = JSON.parse(readFileSync(path.join(app.outdir, 'validation-report.json'), 'utf8'));
    const findings = report.pluginReports.flatMap((plugin: { violations: Array<{ ruleName: string; violatingConstructs: Array<{ constructPath: string }> }> }) =>
      plugin.violations.flatMap((v) => v.violatingConstructs.map((c) => ({ ruleName: v.ruleName, constructPath: c.constructPath }))));
    return { findings, acknowledgements };
  } finally {
    spy.mockRestore();
  }
}

describe('cdk-nag: AwsSolutions, Serverless, NIST 800-53 R5 and HIPAA Security over every stage', () => {
  test('the whole app synthesizes with zero unacknowledged findings', () => {
    const { app } = buildProjectApp();
    expect(() => app.synth()).not.toThrow();
  });

  describe('acknowledgements', () => {
    let result: ReturnType<typeof findingsWithoutAcknowledgements>;
    beforeAll(() => { result = findingsWithoutAcknowledgements(); });

    test('are exactly the reviewed list', () => {
      expect(result.acknowledgements.map((a) => [a.path, a.id]).sort()).toEqual([...EXPECTED_ACKNOWLEDGEMENTS].sort());
    });

    test('each covers exactly one real finding on one resource, and every finding is covered by one', () => {
      const covering = (f: Finding) => result.acknowledgements.filter((a) => a.id === f.ruleName && (f.constructPath === a.path || f.constructPath.startsWith(`${a.path}/`)));
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
