/**
 * `npm run synth` as its cdk command runs: every stack sits inside a stage, so the CLI has no top-level stack to
 * name unless the command selects them (`'**'`). Without it the CLI printed "Supply a stack id () to display
 * its template." after every synth. Here the script's own cdk arguments run against a small staged assembly.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, CfnWaitConditionHandle, Stack, Stage } from 'aws-cdk-lib';

const ROOT = path.join(__dirname, '../..');

/** The arguments after `cdk` in the synth script (single-quoted words unquoted, as the shell does). */
function synthScriptCdkArgs(): string[] {
  const script = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.synth;
  const cdk = script
    .split('&&')
    .map((part) => part.trim())
    .find((part) => part.startsWith('cdk '));
  if (!cdk) throw new Error(`no cdk command in the synth script: ${script}`);
  return cdk
    .split(/\s+/)
    .slice(1)
    .map((word) => word.replace(/^'(.*)'$/, '$1'));
}

test('the synth command names every stage stack and never prints "Supply a stack id ()"', () => {
  const outdir = mkdtempSync(path.join(tmpdir(), 'synth-command-'));
  // The templates are placeholders: CloudFormation validation of them would only cost time.
  const app = new App({ outdir, builtinCloudFormationValidation: false });
  for (const name of ['dev', 'prod']) {
    const stage = new Stage(app, name);
    for (const id of ['StreamingChat', 'JwtChat']) new CfnWaitConditionHandle(new Stack(stage, id), 'Placeholder');
  }
  app.synth();

  const cdk = spawnSync(process.execPath, [require.resolve('aws-cdk/bin/cdk'), ...synthScriptCdkArgs(), '--app', outdir], {
    cwd: outdir,
    encoding: 'utf8',
    env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true', CDK_DISABLE_VERSION_CHECK: 'true' },
  });
  const output = `${cdk.stdout}${cdk.stderr}`;
  expect({ status: cdk.status, output }).toEqual({
    status: 0,
    output: expect.stringContaining('dev/StreamingChat, dev/JwtChat, prod/StreamingChat, prod/JwtChat'),
  });
  expect(output).not.toContain('Supply a stack id ()');
}, 60_000);
