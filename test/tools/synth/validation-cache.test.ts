/**
 * The cached CloudFormation validation: a template is handed to aws-cdk-lib's validation unless one with exactly
 * its content (same account and region) passed before with no finding. aws-cdk-lib's own validate is replaced by a
 * recording stand-in here: the engine itself is exercised by every suite that synthesizes a stage.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, CloudFormationValidatePlugin, IPolicyValidationContext, PolicyValidationPluginReport } from 'aws-cdk-lib';
import { CachedCloudFormationValidation, useCachedTemplateValidation } from '../../../tools/synth/validation-cache';
import { ValidationWorker } from '../../../tools/synth/validation-worker';

const work = mkdtempSync(path.join(tmpdir(), 'validation-cache-'));
let validated: string[][] = [];
let findingsIn = new Set<string>();

beforeEach(() => {
  validated = [];
  findingsIn = new Set();
  jest
    .spyOn(CloudFormationValidatePlugin.prototype, 'validate')
    .mockImplementation((context: IPolicyValidationContext): PolicyValidationPluginReport => {
      validated.push(context.stackTemplates.map((s) => path.basename(s.templatePath)));
      expect(context.templatePaths).toEqual(context.stackTemplates.map((s) => s.templatePath));
      const violations = context.stackTemplates
        .filter((s) => findingsIn.has(path.basename(s.templatePath)))
        .map((s) => ({
          ruleName: 'E3002',
          description: 'Resources.Bucket.Properties: unknown property',
          severity: 'error',
          violatingResources: [{ resourceLogicalId: 'Bucket', templatePath: s.templatePath, locations: [] }],
        }));
      return { success: violations.length === 0, violations };
    });
});
afterEach(() => jest.restoreAllMocks());

function context(templates: Record<string, string>, region = 'us-east-1'): IPolicyValidationContext {
  const dir = mkdtempSync(path.join(work, 'out-'));
  const stackTemplates = Object.entries(templates).map(([name, body]) => {
    const templatePath = path.join(dir, name);
    writeFileSync(templatePath, body);
    return { stackConstructPath: `dev/${name}`, templatePath, accountId: '111122223333', region };
  });
  return { stackTemplates, templatePaths: stackTemplates.map((s) => s.templatePath), appConstruct: new App() };
}

const A = '{"Resources":{"Table":{"Type":"AWS::DynamoDB::Table"}}}';
const B = '{"Resources":{"Bucket":{"Type":"AWS::S3::Bucket"}}}';

test('a template that passed is not validated again, in any output directory; a changed one is', () => {
  const plugin = new CachedCloudFormationValidation({ directory: mkdtempSync(path.join(work, 'cache-')) });
  expect(plugin.validate(context({ 'a.template.json': A, 'b.template.json': B }))).toEqual({ success: true, violations: [] });
  expect(plugin.validate(context({ 'a.template.json': A, 'b.template.json': B }))).toEqual({ success: true, violations: [] });
  expect(plugin.validate(context({ 'a.template.json': A, 'b.template.json': B.replace('S3::Bucket', 'SQS::Queue') }))).toEqual({
    success: true,
    violations: [],
  });
  expect(validated).toEqual([['a.template.json', 'b.template.json'], ['b.template.json']]);
});

test('the same template for another region or account is validated on its own', () => {
  const plugin = new CachedCloudFormationValidation({ directory: mkdtempSync(path.join(work, 'cache-')) });
  plugin.validate(context({ 'a.template.json': A }));
  plugin.validate(context({ 'a.template.json': A }, 'eu-west-1'));
  expect(validated).toEqual([['a.template.json'], ['a.template.json']]);
});

test('a template with a finding is validated and reported every time', () => {
  const plugin = new CachedCloudFormationValidation({ directory: mkdtempSync(path.join(work, 'cache-')) });
  findingsIn = new Set(['b.template.json']);
  for (let run = 0; run < 2; run++) {
    const report = plugin.validate(context({ 'a.template.json': A, 'b.template.json': B }));
    expect(report.success).toBe(false);
    expect(report.violations.map((v) => v.ruleName)).toEqual(['E3002']);
  }
  expect(validated).toEqual([['a.template.json', 'b.template.json'], ['b.template.json']]);
});

test('CFN_VALIDATE_CACHE=off validates every template', () => {
  const plugin = new CachedCloudFormationValidation({ directory: mkdtempSync(path.join(work, 'cache-')) });
  process.env.CFN_VALIDATE_CACHE = 'off';
  try {
    plugin.validate(context({ 'a.template.json': A }));
    plugin.validate(context({ 'a.template.json': A }));
  } finally {
    delete process.env.CFN_VALIDATE_CACHE;
  }
  expect(validated).toEqual([['a.template.json'], ['a.template.json']]);
});

test("useCachedTemplateValidation makes it aws-cdk-lib's default instance, without registering a plugin on the app", () => {
  useCachedTemplateValidation();
  const internal = CloudFormationValidatePlugin as unknown as { _singletonInstance(): CloudFormationValidatePlugin };
  expect(internal._singletonInstance()).toBeInstanceOf(CachedCloudFormationValidation);
});

test("names the engine's version as aws-cdk-lib's plugin does, without loading the engine", () => {
  const cached = new CachedCloudFormationValidation();
  jest.restoreAllMocks();
  const own = new CloudFormationValidatePlugin();
  expect({ version: cached.version, ruleIds: cached.ruleIds }).toEqual({ version: own.version, ruleIds: own.ruleIds });
  expect(cached.version).toMatch(/^\d+\.\d+\.\d+$/);
});

test('with a worker thread, the templates not passed before go to it, and what it passes is remembered', () => {
  const sent: string[][] = [];
  const worker = {
    validate: (ctx: IPolicyValidationContext): PolicyValidationPluginReport => {
      sent.push(ctx.stackTemplates.map((s) => path.basename(s.templatePath)));
      return { success: true, violations: [] };
    },
  } as unknown as ValidationWorker;
  const plugin = new CachedCloudFormationValidation({ directory: mkdtempSync(path.join(work, 'cache-')), worker });
  plugin.validate(context({ 'a.template.json': A }));
  expect(plugin.validate(context({ 'a.template.json': A, 'b.template.json': B }))).toEqual({ success: true, violations: [] });
  expect(sent).toEqual([['a.template.json'], ['b.template.json']]);
  expect(validated).toEqual([]);
});
