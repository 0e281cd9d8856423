#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { parseStageConfigs } from '../lib/config/stage-config';
import { addSecurityChecks } from '../lib/security-checks';
import { ChatStage } from '../lib/stages/chat-stage';

// cdk-nag findings must fail `cdk synth` too: the CLI asks the app to leave validation reporting to it,
// and this CLI then reports nothing for nested stages. Keep the failure in the app.
const app = new App({ postCliContext: { '@aws-cdk/core:failSynthOnValidationErrors': true } });
for (const config of parseStageConfigs(app.node.tryGetContext('stages'))) {
  new ChatStage(app, config.name, { config });
}
addSecurityChecks(app);
