import { IResource, RemovalPolicy, Resource } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { CHAT_HISTORY_TABLE } from '../../contract/tables';
import { createCustomerManagedKey } from '../private/customer-managed-key';
import { tableNameAndArn } from '../private/table-import';

/** A table of users' chats that a chat function may read, append to and delete from. */
export interface IChatHistoryTable extends IResource {
  /**
   * The DynamoDB table name.
   * @attribute
   */
  readonly tableName: string;
  /**
   * The table's ARN.
   * @attribute
   */
  readonly tableArn: string;
  /** The customer managed key that encrypts the table, if it has one. */
  readonly encryptionKey?: kms.IKey;
  /** List a user's chats (newest first) and load one: `GetItem`, `Query` on the table and its index. */
  grantReadChats(grantee: iam.IGrantable): iam.Grant;
  /** Start a chat and append turns: `UpdateItem` (chat header, atomic turn counter) and `PutItem` (one item per turn). */
  grantAppendChats(grantee: iam.IGrantable): iam.Grant;
  /** Delete a chat with its turns: `DeleteItem` and `BatchWriteItem` (`Query` comes with `grantReadChats`). */
  grantDeleteChats(grantee: iam.IGrantable): iam.Grant;
}

/** An existing chat history table, by name or ARN. */
export interface ChatHistoryTableAttributes {
  /**
   * The table name.
   * @default - read from `tableArn`
   */
  readonly tableName?: string;
  /**
   * The table ARN; its region and account are the table's.
   * @default - the table of this name in the importing stack's region and account
   */
  readonly tableArn?: string;
  /**
   * The customer managed key the table is encrypted with.
   * @default - an AWS owned or AWS managed key (nothing to grant)
   */
  readonly encryptionKey?: kms.IKey;
}

export interface ChatHistoryTableProps {
  /**
   * What happens to the table when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Server-side encryption. Stored chats are what users wrote and what the model answered: a customer managed key
   * puts every read under the key's policy and in CloudTrail, and disabling the key makes them unreadable.
   * @default - a new customer managed key (id `Key`; rotation on, grants only for AWS resources)
   */
  readonly encryption?: dynamodb.TableEncryptionV2;

  /**
   * Refuse `DeleteTable` (CloudFormation included) until deletion protection is turned off.
   * @default - on when `removalPolicy` is `RETAIN` (the default): a table that must outlive its stack cannot be
   *   deleted by accident either
   */
  readonly deletionProtection?: boolean;
}

/** What created and imported chat history tables share: the grants. */
export abstract class ChatHistoryTableBase extends Resource implements IChatHistoryTable {
  public abstract readonly tableName: string;
  public abstract readonly tableArn: string;
  public abstract readonly encryptionKey?: kms.IKey;

  public grantReadChats(grantee: iam.IGrantable): iam.Grant {
    return this.grant(grantee, ['dynamodb:GetItem', 'dynamodb:Query'], true, ['kms:Decrypt']);
  }

  public grantAppendChats(grantee: iam.IGrantable): iam.Grant {
    return this.grant(grantee, ['dynamodb:UpdateItem', 'dynamodb:PutItem'], false, ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey']);
  }

  public grantDeleteChats(grantee: iam.IGrantable): iam.Grant {
    return this.grant(grantee, ['dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'], false, ['kms:Decrypt']);
  }

  private grant(grantee: iam.IGrantable, actions: string[], withIndex: boolean, keyActions: string[]): iam.Grant {
    const resourceArns = [this.tableArn];
    if (withIndex) resourceArns.push(`${this.tableArn}/index/${CHAT_HISTORY_TABLE.byUpdatedIndex}`);
    const grant = iam.Grant.addToPrincipal({ grantee, actions, resourceArns });
    this.encryptionKey?.grant(grantee, ...keyActions);
    return grant;
  }
}

/**
 * Users' chat histories in DynamoDB: one header item per chat and one item per turn.
 *
 * | item | `pk` | `sk` | attributes |
 * |---|---|---|---|
 * | chat header | `USER#<subject>` | `CHAT#<chatId>` | `title`, `createdAt`, `updatedAt`, `turns` (atomic counter), `byUpdatedPk`/`byUpdatedSk` |
 * | turn | `CHAT#<subject>#<chatId>` | `TURN#<zero-padded number>` | the user message and the answer, `createdAt` |
 *
 * Both carry `expiresAt` (the TTL attribute) when the function has a retention (`ChatHistoryOptions.retention`).
 * The table is encrypted with a customer managed key of its own by default, and protected from deletion when retained.
 *
 * Every key starts with the owner's subject, so one user's request can never address another
 * user's items. Listing a user's chats newest first is a query on the `byUpdated` index; a chat
 * grows one small item per turn, so it has no 400 KB limit; concurrent appends each take a turn
 * number from the header's atomic counter and write their own item, so none overwrites another;
 * a turn is written as one item after the answer is complete, so a failed model call leaves nothing.
 *
 * @resource AWS::DynamoDB::GlobalTable
 */
export class ChatHistoryTable extends ChatHistoryTableBase {
  public static readonly PARTITION_KEY: string = CHAT_HISTORY_TABLE.partitionKey;
  public static readonly SORT_KEY: string = CHAT_HISTORY_TABLE.sortKey;
  /** Epoch seconds after which DynamoDB may delete the item: the table's TTL attribute (see `ChatHistoryOptions.retention`). */
  public static readonly TIME_TO_LIVE_ATTRIBUTE: string = CHAT_HISTORY_TABLE.timeToLive;
  /** The index of a user's chats by last update. */
  public static readonly BY_UPDATED_INDEX: string = CHAT_HISTORY_TABLE.byUpdatedIndex;
  public static readonly BY_UPDATED_PARTITION_KEY: string = CHAT_HISTORY_TABLE.byUpdatedPartitionKey;
  public static readonly BY_UPDATED_SORT_KEY: string = CHAT_HISTORY_TABLE.byUpdatedSortKey;

  /** An existing chat history table in the importing stack's region and account. */
  public static fromTableName(scope: Construct, id: string, tableName: string): IChatHistoryTable {
    return ChatHistoryTable.fromTableAttributes(scope, id, { tableName });
  }

  /** An existing chat history table, by ARN (its region and account are honoured). */
  public static fromTableArn(scope: Construct, id: string, tableArn: string): IChatHistoryTable {
    return ChatHistoryTable.fromTableAttributes(scope, id, { tableArn });
  }

  /** An existing chat history table (the keys and `byUpdated` index above), by name or ARN and its key. */
  public static fromTableAttributes(scope: Construct, id: string, attrs: ChatHistoryTableAttributes): IChatHistoryTable {
    return new ImportedChatHistoryTable(scope, id, attrs);
  }

  /** The table. */
  public readonly table: dynamodb.TableV2;
  public readonly tableName: string;
  public readonly tableArn: string;
  public readonly encryptionKey?: kms.IKey;

  constructor(scope: Construct, id: string, props: ChatHistoryTableProps = {}) {
    super(scope, id);
    const string = dynamodb.AttributeType.STRING;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const encryption =
      props.encryption ??
      dynamodb.TableEncryptionV2.customerManagedKey(
        createCustomerManagedKey(this, 'Key', { description: `Encrypts the stored chats of ${this.node.path}`, removalPolicy }),
      );
    this.table = new dynamodb.TableV2(this, 'Resource', {
      partitionKey: { name: ChatHistoryTable.PARTITION_KEY, type: string },
      sortKey: { name: ChatHistoryTable.SORT_KEY, type: string },
      globalSecondaryIndexes: [
        {
          indexName: ChatHistoryTable.BY_UPDATED_INDEX,
          partitionKey: { name: ChatHistoryTable.BY_UPDATED_PARTITION_KEY, type: string },
          sortKey: { name: ChatHistoryTable.BY_UPDATED_SORT_KEY, type: string },
          projectionType: dynamodb.ProjectionType.INCLUDE,
          nonKeyAttributes: [...CHAT_HISTORY_TABLE.projected],
        },
      ],
      timeToLiveAttribute: ChatHistoryTable.TIME_TO_LIVE_ATTRIBUTE,
      billing: dynamodb.Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption,
      deletionProtection: props.deletionProtection ?? removalPolicy === RemovalPolicy.RETAIN,
      removalPolicy,
    });
    this.tableName = this.table.tableName;
    this.tableArn = this.table.tableArn;
    this.encryptionKey = this.table.encryptionKey;
  }
}

class ImportedChatHistoryTable extends ChatHistoryTableBase {
  public readonly tableName: string;
  public readonly tableArn: string;
  public readonly encryptionKey?: kms.IKey;

  constructor(scope: Construct, id: string, attrs: ChatHistoryTableAttributes) {
    const { tableName, tableArn } = tableNameAndArn(scope, id, 'ChatHistoryTable.fromTableAttributes', attrs.tableName, attrs.tableArn);
    super(scope, id, attrs.tableArn !== undefined ? { environmentFromArn: tableArn } : {});
    this.tableName = tableName;
    this.tableArn = tableArn;
    this.encryptionKey = attrs.encryptionKey;
  }
}
