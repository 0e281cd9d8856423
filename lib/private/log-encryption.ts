import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';

/**
 * CloudWatch Logs encrypts with the key on behalf of this one log group only (`logGroupArn`, the encryption
 * context it sends): a key shared by several functions gets one statement per log group, and no other log group
 * of the account can use it. `kms:Describe*` is not granted: it carries no encryption context, so under this
 * condition it could never be allowed (CloudWatch Logs does not need it to encrypt). A key imported with
 * `fromKeyArn` keeps its own policy (nothing is added), and must already allow this.
 */
export function allowCloudWatchLogs(key: kms.IKey, logGroupArn: string): void {
  const stack = Stack.of(key);
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'],
      resources: ['*'],
      conditions: { ArnEquals: { 'kms:EncryptionContext:aws:logs:arn': logGroupArn } },
    }),
    false,
  );
}
