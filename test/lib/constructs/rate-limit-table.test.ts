import { RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { RateLimitTable } from '../../../lib/constructs/rate-limit-table';
import { testStack } from '../../support/cdk-app';

describe('RateLimitTable', () => {
  test('on-demand, TTL on expiresAt, point-in-time recovery, KMS encryption, retained by default', () => {
    const stack = testStack();
    new RateLimitTable(stack, 'Limits');
    const template = Template.fromStack(stack);
    template.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
        Replicas: [Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } })],
      },
    });
  });

  test('removalPolicy is honoured', () => {
    const stack = testStack();
    new RateLimitTable(stack, 'Limits', { removalPolicy: RemovalPolicy.DESTROY });
    Template.fromStack(stack).hasResource('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Delete' });
  });

  test('grantConsume grants exactly dynamodb:UpdateItem on the table, nothing else', () => {
    const stack = testStack();
    const limits = new RateLimitTable(stack, 'Limits');
    const role = new iam.Role(stack, 'Consumer', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    limits.grantConsume(role);
    const policies = Template.fromStack(stack).findResources('AWS::IAM::Policy');
    const statements = Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(statements).toEqual([
      {
        Action: 'dynamodb:UpdateItem',
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [stack.getLogicalId(limits.table.node.defaultChild as dynamodb.CfnGlobalTable), 'Arn'] },
      },
    ]);
  });

  test('with a customer-managed key, grantConsume also lets the grantee use that key', () => {
    const stack = testStack();
    const key = new kms.Key(stack, 'Key');
    const limits = new RateLimitTable(stack, 'Limits', { encryption: dynamodb.TableEncryptionV2.customerManagedKey(key) });
    const role = new iam.Role(stack, 'Consumer', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    limits.grantConsume(role);
    const statements = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement,
    );
    expect(statements.map((s) => s.Action)).toEqual(['dynamodb:UpdateItem', expect.arrayContaining(['kms:Decrypt', 'kms:Encrypt'])]);
  });

  describe("imports share the created table's grant", () => {
    const consumeStatements = (make: (stack: ReturnType<typeof testStack>) => ReturnType<typeof RateLimitTable.fromTableName>) => {
      const stack = testStack();
      const table = make(stack);
      const role = new iam.Role(stack, 'Consumer', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      table.grantConsume(role);
      return {
        table,
        statements: Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement),
      };
    };

    test('fromTableName: the table of that name in the stack region and account', () => {
      const { table, statements } = consumeStatements((stack) => RateLimitTable.fromTableName(stack, 'Limits', 'platform-limits'));
      expect(table.tableName).toBe('platform-limits');
      expect(statements).toEqual([
        { Action: 'dynamodb:UpdateItem', Effect: 'Allow', Resource: 'arn:aws:dynamodb:us-east-1:123456789012:table/platform-limits' },
      ]);
    });

    test("fromTableArn: the ARN's own region and account, and its name", () => {
      const arn = 'arn:aws:dynamodb:eu-west-1:210987654321:table/platform-limits';
      const { table, statements } = consumeStatements((stack) => RateLimitTable.fromTableArn(stack, 'Limits', arn));
      expect(table.tableName).toBe('platform-limits');
      expect(table.env).toMatchObject({ region: 'eu-west-1', account: '210987654321' });
      expect(statements).toEqual([{ Action: 'dynamodb:UpdateItem', Effect: 'Allow', Resource: arn }]);
    });

    test('fromTableAttributes with its key: the key use comes with the grant', () => {
      const { statements } = consumeStatements((stack) =>
        RateLimitTable.fromTableAttributes(stack, 'Limits', {
          tableName: 'platform-limits',
          encryptionKey: kms.Key.fromKeyArn(stack, 'Key', 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab'),
        }),
      );
      expect(statements.map((s) => s.Action)).toEqual(['dynamodb:UpdateItem', expect.arrayContaining(['kms:Decrypt', 'kms:Encrypt'])]);
    });

    test.each([
      ['neither name nor ARN', {}, /RateLimitTable.fromTableAttributes Test\/Limits: give the table name or its ARN/],
      ['a bucket ARN', { tableArn: 'arn:aws:s3:::bucket' }, /Test\/Limits: 'arn:aws:s3:::bucket' is not a DynamoDB table ARN/],
      ['a bad name', { tableName: 'a b' }, /Test\/Limits: tableName 'a b' is not valid/],
    ])('refuses %s', (_what, attrs, message) => {
      expect(() => RateLimitTable.fromTableAttributes(testStack(), 'Limits', attrs)).toThrow(message);
    });
  });
});
