/**
 * AWS Control Tower proactive controls over synthesized templates: the cfn-guard rules (`control-tower` set) and
 * the cfn-guard binary shipped in `@cdklabs/cdk-validator-cfnguard`, run over every template given with the rule
 * files that can apply to it. Each failure is one control on one resource, named by the resource's construct path.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { CfnElement, Stack, Stage } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** One failed control on one resource. */
export interface ControlTowerFailure {
  /** The control, e.g. `CT.S3.PR.4`. */
  readonly control: string;
  /** The cfn-guard rule, e.g. `s3_event_notifications_enabled_check`. */
  readonly rule: string;
  /** The stage the template belongs to, e.g. `prod`. */
  readonly stage: string;
  /** The resource's construct path inside its stage, e.g. `GuestRagChat/Knowledge/Documents/Resource`. */
  readonly path: string;
}

const PACKAGE = path.dirname(require.resolve('@cdklabs/cdk-validator-cfnguard/package.json'));
const RULES = path.join(PACKAGE, 'rules', 'control-tower', 'cfn-guard');

function guardBinary(): string {
  const platform = process.platform === 'darwin' ? 'macos' : 'ubuntu';
  const architecture = process.arch === 'arm64' ? 'aarch64' : 'x86_64';
  return path.join(PACKAGE, 'bin', platform, architecture, 'cfn-guard');
}

/** A resource type as the rules name it (`"AWS::S3::Bucket"`). */
const RESOURCE_TYPE = /AWS::[A-Za-z0-9]+::[A-Za-z0-9]+/g;

/**
 * Each rule file of the set with the resource types it names. Every rule of the set selects its resources by type
 * (`Resources.*[ Type == %S3_BUCKET_TYPE ]`, or a hook's input keyed by the type), so a rule file none of whose types
 * is in a template has nothing to check there and cannot fail: cfn-guard parsing and running the ~240 files against
 * every template cost most of the gate (3x the CPU of running only the files that apply). A file that names no type
 * runs on every template.
 */
function ruleFiles(): Array<{ file: string; types: Set<string> }> {
  return readdirSync(RULES, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.guard'))
    .sort()
    .map((name) => {
      const file = path.join(RULES, name);
      return { file, types: new Set(readFileSync(file, 'utf8').match(RESOURCE_TYPE) ?? []) };
    });
}

/** The rule files that can apply to a template: those naming a resource type it has (or naming none). */
export function rulesFor(template: { Resources?: Record<string, { Type?: string }> }, rules = ruleFiles()): string[] {
  const present = new Set(Object.values(template.Resources ?? {}).map((resource) => resource.Type));
  return rules.filter(({ types }) => types.size === 0 || [...types].some((type) => present.has(type))).map(({ file }) => file);
}

/** Every stack under `scope` (an app or a stage), by the path of its template. */
function stacksOf(scope: IConstruct): Stack[] {
  return scope.node.findAll().filter((c): c is Stack => Stack.isStack(c));
}

/**
 * Runs the Control Tower rules over the templates of every stack of a synthesized app and returns each failure by
 * control and construct path. Templates that the same rule files apply to share one cfn-guard process.
 */
export function controlTowerFailures(app: Stage, assemblyDirectory: string): ControlTowerFailure[] {
  const stacks = stacksOf(app);
  const byTemplate = new Map<string, Stack>();
  for (const stack of stacks) byTemplate.set(templatePath(app, assemblyDirectory, stack), stack);
  const rules = ruleFiles();
  const templatesByRules = new Map<string, string[]>();
  for (const template of byTemplate.keys()) {
    const key = rulesFor(JSON.parse(readFileSync(template, 'utf8')), rules).join('\n');
    templatesByRules.set(key, [...(templatesByRules.get(key) ?? []), template]);
  }
  // Templates no rule file applies to have nothing to check (and cfn-guard needs at least one rule file).
  const reports = [...templatesByRules].filter(([key]) => key !== '').flatMap(([key, templates]) => guard(key.split('\n'), templates));
  const failures: ControlTowerFailure[] = [];
  for (const report of reports) {
    const stack = byTemplate.get(report.name);
    if (!stack) throw new Error(`cfn-guard reported on an unknown file ${report.name}`);
    const paths = constructPaths(stack);
    for (const failed of report.not_compliant ?? []) {
      const text = JSON.stringify(failed);
      const control = /\[(CT\.[A-Z0-9]+\.PR\.\d+)\]/.exec(text)?.[1] ?? failed.Rule.name;
      const logicalIds = new Set([...text.matchAll(/"path":"\/Resources\/([^/"]+)/g)].map((m) => m[1]));
      for (const logicalId of [...logicalIds].sort()) {
        const constructPath = paths.get(logicalId) ?? logicalId;
        failures.push({ control, rule: failed.Rule.name, stage: stageOf(stack), path: constructPath });
      }
    }
  }
  return failures.sort((a, b) => `${a.stage} ${a.path} ${a.control}`.localeCompare(`${b.stage} ${b.path} ${b.control}`));
}

/** One cfn-guard run of `rules` over `templates`: its report per template. */
function guard(rules: string[], templates: string[]): Array<{ name: string; not_compliant?: Array<{ Rule: { name: string } }> }> {
  const result = spawnSync(
    guardBinary(),
    [
      'validate',
      ...rules.flatMap((r) => ['--rules', r]),
      ...templates.flatMap((t) => ['--data', t]),
      '--output-format',
      'json',
      '--show-summary',
      'none',
      '--structured',
    ],
    { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
  );
  // cfn-guard exits 0 when every rule passes, 19 when some rule fails; anything else is its own error.
  if (result.status !== 0 && result.status !== 19) throw new Error(`cfn-guard failed (${result.status}): ${result.stderr || result.error}`);
  return JSON.parse(result.stdout);
}

function templatePath(app: Stage, assemblyDirectory: string, stack: Stack): string {
  const stage = Stage.of(stack);
  const dir = stage && stage !== app ? path.join(assemblyDirectory, stage.artifactId) : assemblyDirectory;
  return path.join(dir, stack.templateFile);
}

function stageOf(stack: Stack): string {
  return Stage.of(stack)?.stageName ?? '';
}

/** Logical id → construct path inside the stage (`<Stack>/<…>`), for every CloudFormation element of the stack. */
function constructPaths(stack: Stack): Map<string, string> {
  const stage = Stage.of(stack);
  const prefix = stage?.node.path ? `${stage.node.path}/` : '';
  const paths = new Map<string, string>();
  for (const c of stack.node.findAll()) {
    if (!CfnElement.isCfnElement(c) || Stack.of(c) !== stack) continue;
    paths.set(stack.resolve((c as CfnElement).logicalId) as string, c.node.path.startsWith(prefix) ? c.node.path.slice(prefix.length) : c.node.path);
  }
  return paths;
}
