/**
 * AWS Control Tower proactive controls over synthesized templates: the cfn-guard rules (`control-tower` set) and
 * the cfn-guard binary shipped in `@cdklabs/cdk-validator-cfnguard`, run once over every template given. Each
 * failure is one control on one resource, named by the resource's construct path.
 */
import { spawnSync } from 'node:child_process';
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

/** Every stack under `scope` (an app or a stage), by the path of its template. */
function stacksOf(scope: IConstruct): Stack[] {
  return scope.node.findAll().filter((c): c is Stack => Stack.isStack(c));
}

/**
 * Runs the Control Tower rules over the templates of every stack of a synthesized app (one cfn-guard process) and
 * returns each failure by control and construct path.
 */
export function controlTowerFailures(app: Stage, assemblyDirectory: string): ControlTowerFailure[] {
  const stacks = stacksOf(app);
  const byTemplate = new Map<string, Stack>();
  for (const stack of stacks) byTemplate.set(templatePath(app, assemblyDirectory, stack), stack);
  const result = spawnSync(
    guardBinary(),
    [
      'validate',
      '--rules',
      RULES,
      ...[...byTemplate.keys()].flatMap((t) => ['--data', t]),
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
  const reports = JSON.parse(result.stdout) as Array<{ name: string; not_compliant?: Array<{ Rule: { name: string } }> }>;
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
