import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R4Checks, NIST80053R5Checks, PCIDSS321Checks, ServerlessChecks } from 'cdk-nag';
import { BedrockChatChecks } from './nag/bedrock-checks';

/**
 * The cdk-nag packs every stage must pass: a finding fails synthesis unless it is acknowledged,
 * one finding on one construct at a time, with a reason.
 */
export function addSecurityChecks(app: App): void {
  Validations.of(app).addPlugins(
    new AwsSolutionsChecks(app),
    new ServerlessChecks(app),
    new NIST80053R4Checks(app),
    new NIST80053R5Checks(app),
    new HIPAASecurityChecks(app),
    new PCIDSS321Checks(app),
    new BedrockChatChecks(app),
  );
}
