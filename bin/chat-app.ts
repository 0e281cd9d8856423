import { App } from 'aws-cdk-lib';
import { addSecurityChecks } from '../lib/security-checks';
import { addChatStages } from '../lib/stages/chat-stages';
import { CachedCloudFormationValidationProps, useCachedTemplateValidation } from '../tools/synth/validation-cache';

/**
 * The project's app: every stage of the `stages` context with the cdk-nag packs, synthesized (a finding throws).
 * `validation.worker` runs the CloudFormation validation in a thread started earlier (bin/app.ts).
 */
export function synthesizeChatApp(validation: Pick<CachedCloudFormationValidationProps, 'worker'> = {}): App {
  // cdk-nag findings must fail `cdk synth`: the CLI asks apps to leave validation reporting to it,
  // and the 2.1148 CLI then reports nothing for stacks inside stages. Keep the failure in the app.
  const app = new App({ postCliContext: { '@aws-cdk/core:failSynthOnValidationErrors': true } });
  addChatStages(app, app.node.tryGetContext('stages'));
  addSecurityChecks(app);
  // aws-cdk-lib's CloudFormation validation, skipping templates identical to ones it already passed.
  useCachedTemplateValidation(validation);
  app.synth();
  return app;
}
