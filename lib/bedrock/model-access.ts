import { Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { BedrockModel } from './bedrock-model';
import { GLOBAL_GEOGRAPHY } from './inference-geography';

/** Where the caller runs: the partition, region and account of its stack (tokens allowed). */
export interface ModelAccessScope {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
}

/** The `bedrock:` actions each Bedrock Runtime operation needs. */
export const BEDROCK_ACTIONS = {
  /** `ConverseStream` and `InvokeModelWithResponseStream`. */
  converseStream: 'bedrock:InvokeModelWithResponseStream',
  /** `Converse` and `InvokeModel`. */
  converse: 'bedrock:InvokeModel',
} as const;

export function foundationModelArn(scope: ModelAccessScope, region: string, modelId: string): string {
  return `arn:${scope.partition}:bedrock:${region}::foundation-model/${modelId}`;
}

export function inferenceProfileArn(scope: ModelAccessScope, profileId: string): string {
  return `arn:${scope.partition}:bedrock:${scope.region}:${scope.account}:inference-profile/${profileId}`;
}

/**
 * The least-privilege statements that let a principal call `actions` on one model:
 *
 * - a foundation model: that model's ARN in the caller's region;
 * - a geographic profile (`us.`, `eu.`, …): the profile's ARN in the caller's region, and the
 *   foundation model's ARN in each destination region, usable only through that profile
 *   (`bedrock:InferenceProfileArn`);
 * - a `global.` profile: the profile's ARN, the foundation model in the caller's region, and the
 *   region-less foundation-model ARN that IAM evaluates for requests routed outside the
 *   caller's geography (`aws:RequestedRegion` = `unspecified`), again only through the profile.
 *
 * Source: Amazon Bedrock User Guide, "Geographic cross-Region inference" and "Global
 * cross-Region inference", section "IAM policy requirements".
 */
export function modelAccessStatements(model: BedrockModel, actions: string[], scope: ModelAccessScope): iam.PolicyStatement[] {
  if (!model.isInferenceProfile) {
    return [new iam.PolicyStatement({ actions, resources: [foundationModelArn(scope, scope.region, model.foundationModelId)] })];
  }
  assertRegionInGeography(model, scope.region);
  const profileArn = inferenceProfileArn(scope, model.invocationId);
  const throughProfile = { 'bedrock:InferenceProfileArn': profileArn };
  const statements = [new iam.PolicyStatement({ actions, resources: [profileArn] })];
  if (model.geography === GLOBAL_GEOGRAPHY) {
    statements.push(
      new iam.PolicyStatement({
        actions,
        resources: [foundationModelArn(scope, scope.region, model.foundationModelId)],
        conditions: { StringEquals: throughProfile },
      }),
      new iam.PolicyStatement({
        actions,
        resources: [foundationModelArn(scope, '', model.foundationModelId)],
        conditions: { StringEquals: { ...throughProfile, 'aws:RequestedRegion': 'unspecified' } },
      }),
    );
  } else {
    statements.push(new iam.PolicyStatement({
      actions,
      resources: (model.destinationRegions ?? []).map((region) => foundationModelArn(scope, region, model.foundationModelId)),
      conditions: { StringEquals: throughProfile },
    }));
  }
  return statements;
}

/** A geographic profile can only be called from a region of its own geography. */
function assertRegionInGeography(model: BedrockModel, region: string): void {
  if (Token.isUnresolved(region) || !model.destinationRegions) return;
  if (!model.destinationRegions.includes(region)) {
    throw new Error(
      `Inference profile '${model.invocationId}' routes within [${model.destinationRegions.join(', ')}], ` +
      `which does not include this stack's region ${region}: use the profile of this region's geography, ` +
      'a global. profile, or deploy the stack to a region the profile serves',
    );
  }
}
