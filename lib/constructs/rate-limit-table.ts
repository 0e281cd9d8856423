import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, IConstruct } from 'constructs';

/** A table of per-caller request counters that a chat function may consume. */
export interface IRateLimitTable extends IConstruct {
  /** The DynamoDB table name the limiter writes to. */
  readonly tableName: string;
  /** Lets `grantee` count requests: exactly what the limiter calls, nothing more. */
  grantConsume(grantee: iam.IGrantable): iam.Grant;
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

/**
 * A DynamoDB table of fixed-window request counters, one item per caller per window.
 *
 * On-demand, point-in-time recovery on, KMS encryption, and a TTL attribute so expired
 * windows are deleted for free. The limiter increments a counter with one atomic `UpdateItem`
 * (`ADD`) and never reads an expired window, since each window has its own key.
 */
export class RateLimitTable extends Construct implements IRateLimitTable {
  /** Partition key: `<hashed caller>#<window index>`. */
  public static readonly PARTITION_KEY = 'pk';
  /** Epoch seconds after which DynamoDB may delete the item. */
  public static readonly TIME_TO_LIVE_ATTRIBUTE = 'expiresAt';

  public readonly table: dynamodb.TableV2;
  public readonly tableName: string;

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
  }

  public grantConsume(grantee: iam.IGrantable): iam.Grant {
    const grant = iam.Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:UpdateItem'],
      resourceArns: [this.table.tableArn],
    });
    this.table.encryptionKey?.grantEncryptDecrypt(grantee);
    return grant;
  }
}
