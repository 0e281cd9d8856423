import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Validations } from 'aws-cdk-lib';
import { buildProjectApp } from '../support/cdk-app';

/**
 * Every cdk-nag acknowledgement in the app, by construct path and finding. A new one must be added
 * here on purpose, with its reason reviewed in the code that makes it.
 */
const EXPECTED_ACKNOWLEDGEMENTS = ['dev', 'staging', 'prod'].flatMap((stage) => [
  [`${stage}/StreamingChat/Chat/ServiceRole/Policy`, 'AwsSolutions-IAM5[Resource::*]'],
  [`${stage}/StreamingChat/Chat/Resource`, 'Serverless-LambdaDLQ'],
  [`${stage}/StreamingChat/Chat/Resource`, 'NIST.800.53.R5-LambdaDLQ'],
  [`${stage}/StreamingChat/Chat/Resource`, 'HIPAA.Security-LambdaDLQ'],
  [`${stage}/StreamingChat/Chat/Resource`, 'NIST.800.53.R5-LambdaInsideVPC'],
  [`${stage}/StreamingChat/Chat/Resource`, 'HIPAA.Security-LambdaInsideVPC'],
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
