import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { addSecurityChecks } from '../../lib/security-checks';
import { ChatStage } from '../../lib/stages/chat-stage';
import { addChatStages } from '../../lib/stages/chat-stages';
import { useCachedTemplateValidation } from '../../tools/synth/validation-cache';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const cdkJson = require('../../cdk.json') as { context: Record<string, unknown> };

// Every suite that synthesizes with aws-cdk-lib's CloudFormation validation (the integration project) imports this
// module: templates identical to ones already validated (by `npm run synth` or another suite) are not validated again.
useCachedTemplateValidation();

/** The committed `cdk.json` context, so tests synthesize exactly what `cdk synth` does. */
export const projectContext = cdkJson.context;

/** The whole app as bin/app.ts builds it, with the cdk-nag packs, in a temporary outdir. */
export function buildProjectApp(options: { securityChecks?: boolean } = {}): { app: App; stages: ChatStage[] } {
  const app = new App({ context: projectContext, outdir: mkdtempSync(path.join(tmpdir(), 'cdk-test-')) });
  const stages = addChatStages(app, projectContext.stages);
  if (options.securityChecks ?? true) addSecurityChecks(app);
  return { app, stages };
}

/** A bare stack in a fixed environment for construct tests. */
export function testStack(region = 'us-east-1'): Stack {
  const app = new App({ context: projectContext, outdir: mkdtempSync(path.join(tmpdir(), 'cdk-test-')) });
  return new Stack(app, 'Test', { env: { account: '123456789012', region } });
}
