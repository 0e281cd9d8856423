import { IResource, RemovalPolicy, Resource } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { RATE_LIMIT_TABLE } from '../../contract/tables';
import { tableNameAndArn } from '../private/table-import';

/** A table of per-caller request counters that a chat function may consume. */
export interface IRateLimitTable extends IResource {
  /**
   * The DynamoDB table name the limiter writes to.
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
  /** Lets `grantee` count requests: `dynamodb:UpdateItem` on the table (and the key, if any): exactly what the limiter calls. */
  grantConsume(grantee: iam.IGrantable): iam.Grant;
}

/** An existing counters table, by name or ARN. */
export interface RateLimitTableAttributes {
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

export interface RateLimitTableProps {
  /**
   * What happens to the table when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Server-side encryption.
   * @default - the AWS managed key `aws/dynamodb` (KMS, auditable in CloudTrail, no key to manage)
   */
  readonly encryption?: dynamodb.TableEncryptionV2;
}

/** What created and imported counters tables share: the grant. */
export abstract class RateLimitTableBase extends Resource implements IRateLimitTable {
  public abstract readonly tableName: string;
  public abstract readonly tableArn: string;
  public abstract readonly encryptionKey?: kms.IKey;

  public grantConsume(grantee: iam.IGrantable): iam.Grant {
    const grant = iam.Grant.addToPrincipal({ grantee, actions: ['dynamodb:UpdateItem'], resourceArns: [this.tableArn] });
    this.encryptionKey?.grantEncryptDecrypt(grantee);
    return grant;
  }
}

/**
 * A DynamoDB table of fixed-window request counters, one item per caller per window.
 *
 * On-demand, point-in-time recovery on, KMS encryption, and a TTL attribute so expired
 * windows are deleted for free. The limiter increments a counter with one atomic `UpdateItem`
 * (`ADD`) and never reads an expired window, since each window has its own key
 * (`<namespace>#<hashed caller>#<window>`: functions with different namespaces can share one table).
 *
 * @resource AWS::DynamoDB::GlobalTable
 */
export class RateLimitTable extends RateLimitTableBase {
  /** Partition key: `<namespace>#<hashed caller>#<window index>`. */
  public static readonly PARTITION_KEY: string = RATE_LIMIT_TABLE.partitionKey;
  /** Epoch seconds after which DynamoDB may delete the item. */
  public static readonly TIME_TO_LIVE_ATTRIBUTE: string = RATE_LIMIT_TABLE.timeToLive;

  /** An existing counters table in the importing stack's region and account. */
  public static fromTableName(scope: Construct, id: string, tableName: string): IRateLimitTable {
    return RateLimitTable.fromTableAttributes(scope, id, { tableName });
  }

  /** An existing counters table, by ARN (its region and account are honoured). */
  public static fromTableArn(scope: Construct, id: string, tableArn: string): IRateLimitTable {
    return RateLimitTable.fromTableAttributes(scope, id, { tableArn });
  }

  /** An existing counters table (with `pk` as partition key and `expiresAt` as TTL attribute), by name or ARN and its key. */
  public static fromTableAttributes(scope: Construct, id: string, attrs: RateLimitTableAttributes): IRateLimitTable {
    return new ImportedRateLimitTable(scope, id, attrs);
  }

  /** The table. */
  public readonly table: dynamodb.TableV2;
  public readonly tableName: string;
  public readonly tableArn: string;
  public readonly encryptionKey?: kms.IKey;

  constructor(scope: Construct, id: string, props: RateLimitTableProps = {}) {
    super(scope, id);
    this.table = new dynamodb.TableV2(this, 'Resource', {
      partitionKey: { name: RateLimitTable.PARTITION_KEY, type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: RateLimitTable.TIME_TO_LIVE_ATTRIBUTE,
      billing: dynamodb.Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: props.encryption ?? dynamodb.TableEncryptionV2.awsManagedKey(),
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.tableName = this.table.tableName;
    this.tableArn = this.table.tableArn;
    this.encryptionKey = this.table.encryptionKey;
  }
}

class ImportedRateLimitTable extends RateLimitTableBase {
  public readonly tableName: string;
  public readonly tableArn: string;
  public readonly encryptionKey?: kms.IKey;

  constructor(scope: Construct, id: string, attrs: RateLimitTableAttributes) {
    const { tableName, tableArn } = tableNameAndArn(scope, id, 'RateLimitTable.fromTableAttributes', attrs.tableName, attrs.tableArn);
    super(scope, id, attrs.tableArn !== undefined ? { environmentFromArn: tableArn } : {});
    this.tableName = tableName;
    this.tableArn = tableArn;
    this.encryptionKey = attrs.encryptionKey;
  }
}
