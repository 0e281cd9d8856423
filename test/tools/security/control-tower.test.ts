import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { rulesFor } from '../../../tools/security/control-tower';

const RULES = path.join(path.dirname(require.resolve('@cdklabs/cdk-validator-cfnguard/package.json')), 'rules', 'control-tower', 'cfn-guard');
const ALL = readdirSync(RULES, { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.guard'));

describe('the Control Tower rule files run on a template', () => {
  test('are those naming a resource type the template has', () => {
    const chosen = rulesFor({ Resources: { Docs: { Type: 'AWS::S3::Bucket' }, Queue: { Type: 'AWS::SQS::Queue' } } }).map((f) =>
      path.relative(RULES, f),
    );
    expect(chosen).toContain(path.join('s3', 'ct-s3-pr-1.guard'));
    expect(chosen).toContain(path.join('sqs', 'ct-sqs-pr-1.guard'));
    expect(chosen).not.toContain(path.join('redshift', 'ct-redshift-pr-7.guard'));
    for (const file of chosen)
      expect({ file, names: /AWS::(S3::Bucket|SQS::Queue)\b/.test(readFileSync(path.join(RULES, file), 'utf8')) }).toEqual({ file, names: true });
  });

  test('are none for a template without resources', () => {
    expect(rulesFor({})).toEqual([]);
  });

  test('cover the whole set: every rule file names the resource types it selects', () => {
    // A file naming no type would run on every template (kept, never skipped); none does today.
    expect(ALL.length).toBeGreaterThan(200);
    for (const file of ALL)
      expect({ file, names: /AWS::\w+::\w+/.test(readFileSync(path.join(RULES, file), 'utf8')) }).toEqual({ file, names: true });
  });
});
