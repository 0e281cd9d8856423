import type { RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { createCustomerManagedKey } from './customer-managed-key';

/**
 * An SNS topic for alarm notifications (ids `AlarmTopicKey` and `AlarmTopic` in `scope`): encrypted with a key of
 * its own (rotation on) that CloudWatch may use to publish, and TLS-only.
 */
export function createAlarmTopic(scope: Construct, removalPolicy: RemovalPolicy): sns.Topic {
  const key = createCustomerManagedKey(scope, 'AlarmTopicKey', { description: `Encrypts the alarm topic of ${scope.node.path}`, removalPolicy });
  // CloudWatch publishes alarm notifications to the encrypted topic.
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
    }),
  );
  const topic = new sns.Topic(scope, 'AlarmTopic', { masterKey: key, enforceSSL: true, displayName: 'Chat alarms' });
  topic.applyRemovalPolicy(removalPolicy);
  return topic;
}
