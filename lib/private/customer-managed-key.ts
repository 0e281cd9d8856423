import { RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/**
 * A customer managed key as every construct here makes one: rotation on, and grants only for AWS resources. The key
 * policy denies `kms:CreateGrant` to everyone unless the grant is for an AWS resource (`kms:GrantIsForAWSResource`,
 * set when a service such as DynamoDB creates the grant on the caller's behalf) or the caller is an AWS service
 * (`aws:PrincipalIsAWSService`): a principal with `kms:*` on the key cannot hand its use to another principal.
 * AWS Control Tower control CT.KMS.PR.3 asks for exactly this statement (`BoolIfExists`, both keys `false`).
 */
export function createCustomerManagedKey(scope: Construct, id: string, props: { description: string; removalPolicy?: RemovalPolicy }): kms.Key {
  const key = new kms.Key(scope, id, { description: props.description, enableKeyRotation: true, removalPolicy: props.removalPolicy });
  key.addToResourcePolicy(grantsOnlyForAwsResources());
  return key;
}

/** The key-policy statement of `createCustomerManagedKey`, for keys made elsewhere. */
export function grantsOnlyForAwsResources(): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'GrantsOnlyForAwsResources',
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions: ['kms:CreateGrant'],
    resources: ['*'],
    conditions: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
  });
}
