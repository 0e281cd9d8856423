import { RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ChatHistoryTable } from '../../../lib/constructs/chat-history-table';
import { testStack } from '../../support/cdk-app';

function grantsOf(grant: (t: ChatHistoryTable, role: iam.Role) => void) {
  const stack = testStack();
  const table = new ChatHistoryTable(stack, 'Chats');
  const role = new iam.Role(stack, 'Consumer', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  grant(table, role);
  const template = Template.fromStack(stack);
  const tableId = Object.keys(template.findResources('AWS::DynamoDB::GlobalTable'))[0];
  const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
  const keyId = Object.keys(template.findResources('AWS::KMS::Key'))[0];
  return { statements, tableArn: { 'Fn::GetAtt': [tableId, 'Arn'] }, keyArn: { 'Fn::GetAtt': [keyId, 'Arn'] } };
}

describe('ChatHistoryTable', () => {
  test('pk/sk keys, a byUpdated index, on-demand, point-in-time recovery, KMS, retained by default', () => {
    const stack = testStack();
    new ChatHistoryTable(stack, 'Chats');
    Template.fromStack(stack).hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      Properties: {
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          Match.objectLike({
            IndexName: 'byUpdated',
            KeySchema: [
              { AttributeName: 'byUpdatedPk', KeyType: 'HASH' },
              { AttributeName: 'byUpdatedSk', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['title', 'createdAt', 'updatedAt', 'turns'] },
          }),
        ],
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        Replicas: [
          Match.objectLike({
            PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
            DeletionProtectionEnabled: true,
            SSESpecification: { KMSMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ChatsKey'), 'Arn'] } },
          }),
        ],
      },
    });
  });

  test('a customer managed key of its own by default: rotating, retained with the table, grants only for AWS resources', () => {
    const stack = testStack();
    const table = new ChatHistoryTable(stack, 'Chats');
    expect(table.encryptionKey).toBeDefined();
    Template.fromStack(stack).hasResource('AWS::KMS::Key', {
      DeletionPolicy: 'Retain',
      Properties: {
        EnableKeyRotation: true,
        KeyPolicy: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 'kms:CreateGrant',
              Condition: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
            }),
          ]),
        },
      },
    });
  });

  test('deletion protection follows the removal policy unless given: on when retained, off when destroyed', () => {
    const protection = (props: ConstructorParameters<typeof ChatHistoryTable>[2]) => {
      const stack = testStack();
      new ChatHistoryTable(stack, 'Chats', props);
      const table = Object.values(Template.fromStack(stack).findResources('AWS::DynamoDB::GlobalTable'))[0];
      return table.Properties.Replicas[0].DeletionProtectionEnabled;
    };
    expect(protection({})).toBe(true);
    expect(protection({ removalPolicy: RemovalPolicy.DESTROY })).toBe(false);
    expect(protection({ removalPolicy: RemovalPolicy.DESTROY, deletionProtection: true })).toBe(true);
  });

  test('grantReadChats: GetItem and Query on the table and its index only, Decrypt on its key', () => {
    const { statements, tableArn, keyArn } = grantsOf((t, r) => t.grantReadChats(r));
    expect(statements).toEqual([
      {
        Action: ['dynamodb:GetItem', 'dynamodb:Query'],
        Effect: 'Allow',
        Resource: [tableArn, { 'Fn::Join': ['', [tableArn, '/index/byUpdated']] }],
      },
      { Action: 'kms:Decrypt', Effect: 'Allow', Resource: keyArn },
    ]);
  });

  test('grantAppendChats: UpdateItem and PutItem on the table only, and the key use writes need', () => {
    const { statements, tableArn, keyArn } = grantsOf((t, r) => t.grantAppendChats(r));
    expect(statements).toEqual([
      { Action: ['dynamodb:PutItem', 'dynamodb:UpdateItem'], Effect: 'Allow', Resource: tableArn },
      { Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'], Effect: 'Allow', Resource: keyArn },
    ]);
  });

  test('grantDeleteChats: DeleteItem and BatchWriteItem on the table only, Decrypt on its key', () => {
    const { statements, tableArn, keyArn } = grantsOf((t, r) => t.grantDeleteChats(r));
    expect(statements).toEqual([
      { Action: ['dynamodb:BatchWriteItem', 'dynamodb:DeleteItem'], Effect: 'Allow', Resource: tableArn },
      { Action: 'kms:Decrypt', Effect: 'Allow', Resource: keyArn },
    ]);
  });

  test("imports (by name, ARN or attributes) share the created table's grants, on the ARN's own region and account", () => {
    const stack = testStack();
    const arn = 'arn:aws:dynamodb:us-east-1:210987654321:table/chats';
    const table = ChatHistoryTable.fromTableArn(stack, 'Chats', arn);
    expect(table.tableName).toBe('chats');
    expect(table.env.account).toBe('210987654321');
    const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    table.grantReadChats(role);
    table.grantDeleteChats(role);
    const statements = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement,
    );
    expect(statements).toEqual([
      { Action: ['dynamodb:GetItem', 'dynamodb:Query'], Effect: 'Allow', Resource: [arn, `${arn}/index/byUpdated`] },
      { Action: ['dynamodb:BatchWriteItem', 'dynamodb:DeleteItem'], Effect: 'Allow', Resource: arn },
    ]);
    expect(ChatHistoryTable.fromTableName(testStack(), 'Chats', 'chats').tableName).toBe('chats');
  });
});
