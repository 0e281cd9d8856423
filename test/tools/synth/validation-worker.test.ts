/**
 * aws-cdk-lib's CloudFormation validation in a worker thread (tools/synth/validation-worker.ts), which `bin/app.ts`
 * starts with the app: its report must be the one aws-cdk-lib's plugin gives in the app's own thread, findings
 * included, and a failure in the thread must fail the synthesis rather than pass it or hang.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, CloudFormationValidatePlugin, IPolicyValidationContext } from 'aws-cdk-lib';
import { ValidationWorker } from '../../../tools/synth/validation-worker';

const dir = mkdtempSync(path.join(tmpdir(), 'validation-worker-'));

function context(templates: Record<string, unknown>): IPolicyValidationContext {
  const stackTemplates = Object.entries(templates).map(([name, body]) => {
    const templatePath = path.join(dir, `${name}.template.json`);
    writeFileSync(templatePath, JSON.stringify(body));
    return { stackConstructPath: `dev/${name}`, templatePath, accountId: '111122223333', region: 'eu-west-1' };
  });
  return { stackTemplates, templatePaths: stackTemplates.map((s) => s.templatePath), appConstruct: new App() };
}

const valid = { Resources: { Queue: { Type: 'AWS::SQS::Queue', Properties: { VisibilityTimeout: 30 } } } };
const withFinding = { Resources: { Bucket: { Type: 'AWS::S3::Bucket', Properties: { NoSuchProperty: true } } } };

let worker: ValidationWorker;
beforeAll(() => {
  worker = ValidationWorker.start();
});
afterAll(() => worker.stop());

test("reports what aws-cdk-lib's validation in this thread reports, finding included", () => {
  const ctx = context({ Valid: valid, WithFinding: withFinding });
  const inThread = new CloudFormationValidatePlugin().validate(ctx);
  const report = worker.validate(ctx);
  expect(report).toEqual(inThread);
  expect(report.success).toBe(false);
  expect(report.violations.flatMap((v) => v.violatingResources.map((r) => path.basename(r.templatePath!)))).toEqual(['WithFinding.template.json']);
});

test('answers every call: a template that passes after one with a finding', () => {
  expect(worker.validate(context({ Valid: valid }))).toEqual({ success: true, violations: [] });
});

test('an error in the thread fails the call with its message, and the thread answers the next call', () => {
  const missing = context({ Valid: valid });
  const gone = { ...missing, stackTemplates: [{ ...missing.stackTemplates[0]!, templatePath: path.join(dir, 'missing.template.json') }] };
  expect(() => worker.validate(gone)).toThrow(/CloudFormation validation failed: .*ENOENT.*missing\.template\.json/s);
  expect(worker.validate(missing).success).toBe(true);
});

test('a stopped worker refuses to validate', () => {
  const stopped = ValidationWorker.start();
  stopped.stop();
  expect(() => stopped.validate(context({ Valid: valid }))).toThrow(/stopped/);
});
