import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, IConstruct } from 'constructs';

/** A table of users' chats that a chat function may read, append to and delete from. */
export interface IChatHistoryTable extends IConstruct {
  readonly tableName: string;
  /** List a user's chats (newest first) and load one: `GetItem`, `Query` on the table and its index. */
  grantReadChats(grantee: iam.IGrantable): iam.Grant;
  /** Start a chat and append turns: `UpdateItem` (chat header, atomic turn counter) and `PutItem` (one item per turn). */
  grantAppendChats(grantee: iam.IGrantable): iam.Grant;
  /** Delete a chat with its turns: `DeleteItem` and `BatchWriteItem` (`Query` comes with `grantReadChats`). */
  grantDeleteChats(grantee: iam.IGrantable): iam.Grant;
}

export interface ChatHistoryTableProps {
  /**
   * What happens to the table when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Server-side encryption.
   * @default - the AWS managed key `aws/dynamodb`
   */
  readonly encryption?: dynamodb.TableEncryptionV2;
}

/**
 * Users' chat histories in DynamoDB: one header item per chat and one item per turn.
 *
 * | item | `pk` | `sk` | attributes |
 * |---|---|---|---|
 * | chat header | `USER#<subject>` | `CHAT#<chatId>` | `title`, `createdAt`, `updatedAt`, `turns` (atomic counter), `byUpdatedPk`/`byUpdatedSk` |
 * | turn | `CHAT#<subject>#<chatId>` | `TURN#<zero-padded number>` | the user message and the answer, `createdAt` |
 *
 * Every key starts with the owner's subject, so one user's request can never address another
 * user's items. Listing a user's chats newest first is a query on the `byUpdated` index; a chat
 * grows one small item per turn, so it has no 400 KB limit; concurrent appends each take a turn
 * number from the header's atomic counter and write their own item, so none overwrites another;
 * a turn is written as one item after the answer is complete, so a failed model call leaves nothing.
 */
export class ChatHistoryTable extends Construct implements IChatHistoryTable {
  public static readonly PARTITION_KEY = 'pk';
  public static readonly SORT_KEY = 'sk';
  /** The index of a user's chats by last update. */
  public static readonly BY_UPDATED_INDEX = 'byUpdated';
  public static readonly BY_UPDATED_PARTITION_KEY = 'byUpdatedPk';
  public static readonly BY_UPDATED_SORT_KEY = 'byUpdatedSk';

  public readonly table: dynamodb.TableV2;
  public readonly tableName: string;

  constructor(scope: Construct, id: string, props: ChatHistoryTableProps = {}) {
    super(scope, id);
    const string = dynamodb.AttributeType.STRING;
    this.table = new dynamodb.TableV2(this, 'Resource', {
      partitionKey: { name: ChatHistoryTable.PARTITION_KEY, type: string },
      sortKey: { name: ChatHistoryTable.SORT_KEY, type: string },
      globalSecondaryIndexes: [{
        indexName: ChatHistoryTable.BY_UPDATED_INDEX,
        partitionKey: { name: ChatHistoryTable.BY_UPDATED_PARTITION_KEY, type: string },
        sortKey: { name: ChatHistoryTable.BY_UPDATED_SORT_KEY, type: string },
        projectionType: dynamodb.ProjectionType.INCLUDE,
        nonKeyAttributes: ['title', 'createdAt', 'updatedAt', 'turns'],
      }],
      billing: dynamodb.Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: props.encryption ?? dynamodb.TableEncryptionV2.awsManagedKey(),
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.tableName = this.table.tableName;
  }

  public grantReadChats(grantee: iam.IGrantable): iam.Grant {
    return this.grant(grantee, ['dynamodb:GetItem', 'dynamodb:Query'], true, ['kms:Decrypt']);
  }

  public grantAppendChats(grantee: iam.IGrantable): iam.Grant {
    return this.grant(grantee, ['dynamodb:UpdateItem', 'dynamodb:PutItem'], false, ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey*']);
  }

  public grantDeleteChats(grantee: iam.IGrantable): iam.Grant {
    return this.grant(grantee, ['dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'], false, ['kms:Decrypt']);
  }

  private grant(grantee: iam.IGrantable, actions: string[], withIndex: boolean, keyActions: string[]): iam.Grant {
    const resourceArns = [this.table.tableArn];
    if (withIndex) resourceArns.push(`${this.table.tableArn}/index/${ChatHistoryTable.BY_UPDATED_INDEX}`);
    const grant = iam.Grant.addToPrincipal({ grantee, actions, resourceArns });
    this.table.encryptionKey?.grant(grantee, ...keyActions);
    return grant;
  }
}
