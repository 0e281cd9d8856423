import { IResource, RemovalPolicy, Resource } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { API_KEY_TABLE } from '../../contract/tables';
import { createCustomerManagedKey } from '../private/customer-managed-key';
import { tableNameAndArn } from '../private/table-import';

/** A table of API keys (their SHA-256 hashes, never the keys) that a chat function verifies callers against. */
export interface IApiKeyTable extends IResource {
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
  /** Lets `grantee` verify keys: `dynamodb:GetItem` on the table (and decrypt with its key): exactly what the function calls. */
  grantVerify(grantee: iam.IGrantable): iam.Grant;
  /** Lets `grantee` administer keys (`npm run keys`): create, list, revoke and set budgets. */
  grantAdminister(grantee: iam.IGrantable): iam.Grant;
}

/** An existing API key table, by name or ARN. */
export interface ApiKeyTableAttributes {
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

export interface ApiKeyTableProps {
  /**
   * What happens to the table (and the key the construct creates) when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Refuse to delete the table (CloudFormation and the API alike) until this is turned off: for production.
   * @default false
   */
  readonly deletionProtection?: boolean;

  /**
   * Server-side encryption.
   * @default - a new customer managed KMS key with rotation (the key hashes and their owners are credentials' metadata)
   */
  readonly encryption?: dynamodb.TableEncryptionV2;
}

/** What created and imported API key tables share: the grants. */
export abstract class ApiKeyTableBase extends Resource implements IApiKeyTable {
  public abstract readonly tableName: string;
  public abstract readonly tableArn: string;
  public abstract readonly encryptionKey?: kms.IKey;

  public grantVerify(grantee: iam.IGrantable): iam.Grant {
    const grant = iam.Grant.addToPrincipal({ grantee, actions: ['dynamodb:GetItem'], resourceArns: [this.tableArn] });
    this.encryptionKey?.grantDecrypt(grantee);
    return grant;
  }

  public grantAdminister(grantee: iam.IGrantable): iam.Grant {
    const grant = iam.Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Scan'],
      resourceArns: [this.tableArn],
    });
    this.encryptionKey?.grantEncryptDecrypt(grantee);
    return grant;
  }
}

/**
 * The API keys of an OpenAI-compatible chat API: one item per key, keyed by the key's SHA-256 (`keyHash`), with its
 * name, owner, creation time, optional expiry, a disabled flag and its own limits. The key itself is shown once when
 * it is created (`npm run keys -- create`) and never stored.
 *
 * On-demand, point-in-time recovery, a customer managed KMS key with rotation, optional deletion protection.
 *
 * @resource AWS::DynamoDB::GlobalTable
 */
export class ApiKeyTable extends ApiKeyTableBase {
  /** Partition key: hex SHA-256 of the key. */
  public static readonly PARTITION_KEY: string = API_KEY_TABLE.partitionKey;

  /** An existing API key table in the importing stack's region and account. */
  public static fromTableName(scope: Construct, id: string, tableName: string): IApiKeyTable {
    return ApiKeyTable.fromTableAttributes(scope, id, { tableName });
  }

  /** An existing API key table, by ARN (its region and account are honoured). */
  public static fromTableArn(scope: Construct, id: string, tableArn: string): IApiKeyTable {
    return ApiKeyTable.fromTableAttributes(scope, id, { tableArn });
  }

  /** An existing API key table (with `keyHash` as partition key), by name or ARN and its key. */
  public static fromTableAttributes(scope: Construct, id: string, attrs: ApiKeyTableAttributes): IApiKeyTable {
    return new ImportedApiKeyTable(scope, id, attrs);
  }

  /** The table. */
  public readonly table: dynamodb.TableV2;
  public readonly tableName: string;
  public readonly tableArn: string;
  public readonly encryptionKey?: kms.IKey;

  constructor(scope: Construct, id: string, props: ApiKeyTableProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const encryption =
      props.encryption ??
      dynamodb.TableEncryptionV2.customerManagedKey(
        createCustomerManagedKey(this, 'Key', { description: `Encrypts the API keys table ${this.node.path}`, removalPolicy }),
      );
    this.table = new dynamodb.TableV2(this, 'Resource', {
      partitionKey: { name: ApiKeyTable.PARTITION_KEY, type: dynamodb.AttributeType.STRING },
      billing: dynamodb.Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: props.deletionProtection ?? false,
      encryption,
      removalPolicy,
    });
    this.tableName = this.table.tableName;
    this.tableArn = this.table.tableArn;
    this.encryptionKey = this.table.encryptionKey;
  }
}

class ImportedApiKeyTable extends ApiKeyTableBase {
  public readonly tableName: string;
  public readonly tableArn: string;
  public readonly encryptionKey?: kms.IKey;

  constructor(scope: Construct, id: string, attrs: ApiKeyTableAttributes) {
    const { tableName, tableArn } = tableNameAndArn(scope, id, 'ApiKeyTable.fromTableAttributes', attrs.tableName, attrs.tableArn);
    super(scope, id, attrs.tableArn !== undefined ? { environmentFromArn: tableArn } : {});
    this.tableName = tableName;
    this.tableArn = tableArn;
    this.encryptionKey = attrs.encryptionKey;
  }
}
