/**
 * Prints the security gates' figures for the committed stages: cdk-nag findings per pack and stage, before
 * acknowledgements (every finding) and after (what is left unacknowledged), and AWS Control Tower failures per stage
 * before and after the reviewed exceptions. One synthesis of the app. Run: `npm run security:figures`.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { addSecurityChecks } from '../../lib/security-checks';
import { addChatStages } from '../../lib/stages/chat-stages';
import { CONTROL_TOWER_EXCEPTIONS, isExcepted } from '../../test/support/control-tower-exceptions';
import { controlTowerFailures } from './control-tower';

interface Report {
  pluginReports: Array<{
    pluginName: string;
    violations: Array<{ violatingConstructs: Array<{ constructPath: string }> }>;
    suppressedViolations?: Array<{ violatingConstructs: Array<{ constructPath: string }> }>;
  }>;
}

const context = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8')).context;
const app = new App({ context, outdir: mkdtempSync(path.join(tmpdir(), 'security-figures-')) });
const stages = addChatStages(app, context.stages).map((s) => s.stageName);
addSecurityChecks(app);
const started = Date.now();
try {
  app.synth();
} catch {
  // Unacknowledged findings fail synthesis; the report below still counts them.
}
const synthSeconds = (Date.now() - started) / 1000;
const report = JSON.parse(readFileSync(path.join(app.outdir, 'validation-report.json'), 'utf8')) as Report;

const stageOf = (constructPath: string) => constructPath.split('/')[0];
const count = (violations: Array<{ violatingConstructs: Array<{ constructPath: string }> }> | undefined, stage: string) =>
  (violations ?? []).flatMap((v) => v.violatingConstructs).filter((c) => stageOf(c.constructPath) === stage).length;

console.log(`cdk-nag findings per pack and stage, before → after acknowledgements (synthesis ${synthSeconds.toFixed(0)} s):\n`);
console.log(`| pack | ${stages.join(' | ')} |`);
console.log(`|---|${stages.map(() => '---|').join('')}`);
for (const plugin of report.pluginReports) {
  const cells = stages.map((stage) => {
    const after = count(plugin.violations, stage);
    return `${after + count(plugin.suppressedViolations, stage)} → ${after}`;
  });
  console.log(`| ${plugin.pluginName} | ${cells.join(' | ')} |`);
}

const ctStarted = Date.now();
const failures = controlTowerFailures(app, app.outdir);
const ctSeconds = (Date.now() - ctStarted) / 1000;
console.log(
  `\nAWS Control Tower proactive controls, failures per stage before → after the reviewed exceptions (cfn-guard ${ctSeconds.toFixed(0)} s):\n`,
);
console.log(`| stage | failures | distinct controls | after exceptions |`);
console.log('|---|---|---|---|');
for (const stage of stages) {
  const here = failures.filter((f) => f.stage === stage);
  const open = here.filter((f) => !isExcepted(f));
  console.log(`| ${stage} | ${here.length} | ${new Set(here.map((f) => f.control)).size} | ${open.length} |`);
  for (const f of open) console.log(`|   ${f.control} ${f.rule} | ${f.path} | | |`);
}
console.log(`\n${CONTROL_TOWER_EXCEPTIONS.length} reviewed exceptions.`);
