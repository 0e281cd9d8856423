import { createHash } from 'node:crypto';
import { Arn, ArnFormat, Aws, IResource, Names, RemovalPolicy, Resource, Stack, Token, Validations } from 'aws-cdk-lib';
import * as bedrock from 'aws-cdk-lib/aws-bedrock';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3vectors from 'aws-cdk-lib/aws-s3vectors';
import { Construct, IConstruct } from 'constructs';
import { KNOWLEDGE_BASE_ID } from '../../contract/patterns';
import { BedrockModel } from '../bedrock/bedrock-model';
import { retrieveStatement } from '../private/bedrock-statements';
import { versionLifecycle } from '../private/bucket-lifecycle';
import { createCustomerManagedKey } from '../private/customer-managed-key';
import { ManagedPolicyRole } from '../private/managed-policy-role';
import { foundationModelArn } from '../private/model-access';
import { ValidationError, Validator } from '../private/validation';

/**
 * A Bedrock knowledge base a caller may query with `Retrieve`. Its region (`env.region`) is where `Retrieve` must be
 * called: a chat function in another region is told to call it there.
 */
export interface IKnowledgeBase extends IResource {
  /**
   * The knowledge base id, e.g. `ABCDEFGHIJ`: what `Retrieve` takes as `knowledgeBaseId`.
   * @attribute
   */
  readonly knowledgeBaseId: string;
  /**
   * `arn:<partition>:bedrock:<region>:<account>:knowledge-base/<id>`.
   * @attribute
   */
  readonly knowledgeBaseArn: string;
  /** Lets `grantee` call `Retrieve` on this knowledge base: `bedrock:Retrieve` on its ARN, nothing more. */
  grantRetrieve(grantee: iam.IGrantable): iam.Grant;
}

/** An existing knowledge base, by id or ARN. */
export interface KnowledgeBaseAttributes {
  /**
   * The knowledge base id (10 letters or digits).
   * @default - read from `knowledgeBaseArn`
   */
  readonly knowledgeBaseId?: string;
  /**
   * The knowledge base ARN; its region and account are the knowledge base's (a knowledge base in another region is
   * queried there).
   * @default - the knowledge base with this id in the importing stack's region and account
   */
  readonly knowledgeBaseArn?: string;
}

/** What created and imported knowledge bases share: the grant. */
export abstract class KnowledgeBaseBase extends Resource implements IKnowledgeBase {
  public abstract readonly knowledgeBaseId: string;
  public abstract readonly knowledgeBaseArn: string;

  public grantRetrieve(grantee: iam.IGrantable): iam.Grant {
    const statement = retrieveStatement(this.knowledgeBaseArn);
    return iam.Grant.addToPrincipal({ grantee, actions: statement.actions, resourceArns: statement.resources });
  }
}

/** Fixed-size chunking: documents are split into chunks of about `maxTokens` tokens. */
export interface FixedSizeChunkingOptions {
  /** Most tokens in one chunk, 1 to 8192. */
  readonly maxTokens: number;
  /** How much adjacent chunks overlap, in percent of `maxTokens`, 1 to 99. */
  readonly overlapPercentage: number;
}

/** Semantic chunking: sentences are grouped by meaning, then split at `maxTokens`. */
export interface SemanticChunkingOptions {
  /** Most tokens in one chunk, 1 to 8192. */
  readonly maxTokens: number;
  /** Sentences around each one that are embedded with it when comparing, 0 or 1. */
  readonly bufferSize: number;
  /** Split where adjacent sentences are less similar than this percentile of all pairs, 50 to 99. */
  readonly breakpointPercentileThreshold: number;
}

/**
 * How the data source splits documents into chunks before embedding them.
 *
 * Bedrock cannot change a data source's chunking after it is created: changing it here replaces
 * the data source (under a new name, so the replacement does not collide with the old one), and the
 * next sync re-ingests every document.
 */
export abstract class KnowledgeBaseChunking {
  /** Chunks of about `maxTokens` tokens, `overlapPercentage` percent shared with the next chunk. */
  public static fixedSize(options: FixedSizeChunkingOptions): KnowledgeBaseChunking {
    return new FixedSizeChunking(options);
  }

  /** Chunks of sentences that belong together by meaning (Bedrock compares sentence embeddings). */
  public static semantic(options: SemanticChunkingOptions): KnowledgeBaseChunking {
    return new SemanticChunking(options);
  }

  /** Each file is one chunk: split documents yourself, one chunk per file. */
  public static none(): KnowledgeBaseChunking {
    return new NoChunking();
  }

  /** The Bedrock chunking strategy, `FIXED_SIZE`, `SEMANTIC` or `NONE`. */
  public abstract readonly strategy: string;

  /**
   * Checks the numbers and renders the CloudFormation `ChunkingConfiguration`.
   * @internal
   */
  public abstract _render(where: string): bedrock.CfnDataSource.ChunkingConfigurationProperty;
}

class FixedSizeChunking extends KnowledgeBaseChunking {
  public readonly strategy = 'FIXED_SIZE';
  constructor(private readonly options: FixedSizeChunkingOptions) {
    super();
  }

  public _render(where: string): bedrock.CfnDataSource.ChunkingConfigurationProperty {
    checkRange(`${where}: chunking maxTokens`, this.options.maxTokens, 1, 8192);
    checkRange(`${where}: chunking overlapPercentage`, this.options.overlapPercentage, 1, 99);
    return {
      chunkingStrategy: this.strategy,
      fixedSizeChunkingConfiguration: { maxTokens: this.options.maxTokens, overlapPercentage: this.options.overlapPercentage },
    };
  }
}

class SemanticChunking extends KnowledgeBaseChunking {
  public readonly strategy = 'SEMANTIC';
  constructor(private readonly options: SemanticChunkingOptions) {
    super();
  }

  public _render(where: string): bedrock.CfnDataSource.ChunkingConfigurationProperty {
    checkRange(`${where}: chunking maxTokens`, this.options.maxTokens, 1, 8192);
    checkRange(`${where}: chunking bufferSize`, this.options.bufferSize, 0, 1);
    checkRange(`${where}: chunking breakpointPercentileThreshold`, this.options.breakpointPercentileThreshold, 50, 99);
    return {
      chunkingStrategy: this.strategy,
      semanticChunkingConfiguration: {
        maxTokens: this.options.maxTokens,
        bufferSize: this.options.bufferSize,
        breakpointPercentileThreshold: this.options.breakpointPercentileThreshold,
      },
    };
  }
}

class NoChunking extends KnowledgeBaseChunking {
  public readonly strategy = 'NONE';
  public _render(): bedrock.CfnDataSource.ChunkingConfigurationProperty {
    return { chunkingStrategy: this.strategy };
  }
}

export interface KnowledgeBaseProps {
  /**
   * The Bedrock embedding model (a foundation model id) that turns chunks and queries into vectors,
   * invoked in the stack's region.
   * @default 'amazon.titan-embed-text-v2:0'
   */
  readonly embeddingModelId?: string;

  /**
   * Vector dimension: the embedding model's output size and the vector index's dimension. Titan Text
   * Embeddings V2 accepts 256, 512 or 1024; other models must be given their own size (1 to 4096).
   * @default 1024
   */
  readonly dimension?: number;

  /**
   * How documents are split into chunks.
   * @default KnowledgeBaseChunking.fixedSize({ maxTokens: 300, overlapPercentage: 20 })
   */
  readonly chunking?: KnowledgeBaseChunking;

  /**
   * Only objects under this key prefix are ingested, and only they are readable by the knowledge base's role and
   * writable through `grantUploadDocuments`: drafts elsewhere in the bucket never reach an answer. Answers name a
   * source by its `title` metadata attribute, else by its key under this prefix (never the bucket).
   * @default 'published/'
   */
  readonly documentsPrefix?: string;

  /**
   * What happens to the documents and log buckets, their key and the vector store when they leave
   * the stack. With `DESTROY`, CloudFormation can only delete the buckets once they are empty (all
   * object versions): the construct does not add an auto-delete custom resource.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * A description of the knowledge base (what the documents are), up to 200 characters.
   * @default - none
   */
  readonly description?: string;
}

/** What the knowledge base ingests unless told otherwise: documents published on purpose, not the whole bucket. */
const DEFAULT_DOCUMENTS_PREFIX = 'published/';

/** The foundation model used when `embeddingModelId` is not given. */
const TITAN_EMBED_TEXT_V2 = 'amazon.titan-embed-text-v2:0';
const TITAN_V2_DIMENSIONS = [256, 512, 1024];
/** S3 Vectors stores 1 to 4096 dimensions per vector. */
const MAX_DIMENSION = 4096;

/**
 * Bedrock writes each chunk's text and its source metadata into these two metadata keys of the
 * vector. S3 Vectors allows at most 2 KB of filterable metadata per vector (40 KB in all), so both
 * must be declared non-filterable when the index is created (it cannot be changed later), or
 * ingestion of any chunk longer than that fails on `PutVectors`. Limits: Amazon S3 User Guide,
 * "Limitations and restrictions" (S3 Vectors).
 */
const BEDROCK_NON_FILTERABLE_METADATA_KEYS = ['AMAZON_BEDROCK_TEXT', 'AMAZON_BEDROCK_METADATA'];

/** What `s3vectors` actions a knowledge base's ingestion and retrieval call on its index. */
const VECTOR_INDEX_ACTIONS = [
  's3vectors:PutVectors',
  's3vectors:GetVectors',
  's3vectors:DeleteVectors',
  's3vectors:QueryVectors',
  's3vectors:GetIndex',
];

/**
 * An Amazon Bedrock knowledge base over documents in S3, with its vectors in Amazon S3 Vectors.
 *
 * Creates:
 * - a documents bucket: SSE-KMS with a key of its own (rotation on, S3 Bucket Keys on), TLS only,
 *   public access blocked, versioned, server access logs to a log bucket the construct also creates;
 * - an S3 vector bucket and a float32, cosine index, encrypted with the same key: the index holds a
 *   copy of every chunk's text, so it gets the documents' protection, and one key governs both;
 * - a service role Bedrock assumes (only for knowledge bases in this account and region) that may
 *   read the documents under the prefix, use the key, embed with the one embedding model, and
 *   read and write vectors in the one index;
 * - the knowledge base and its S3 data source.
 *
 * Upload documents, then start an ingestion job (a "sync") for `dataSourceId`, or let `KnowledgeBaseSync` start one
 * whenever documents change; callers query with `Retrieve` after `grantRetrieve`.
 */
export class KnowledgeBase extends KnowledgeBaseBase {
  /** A knowledge base that exists already in the importing stack's region and account, e.g. one made in the console, by its id. */
  public static fromKnowledgeBaseId(scope: Construct, id: string, knowledgeBaseId: string): IKnowledgeBase {
    return KnowledgeBase.fromKnowledgeBaseAttributes(scope, id, { knowledgeBaseId });
  }

  /** A knowledge base that exists already, by ARN: its region and account are honoured. */
  public static fromKnowledgeBaseArn(scope: Construct, id: string, knowledgeBaseArn: string): IKnowledgeBase {
    return KnowledgeBase.fromKnowledgeBaseAttributes(scope, id, { knowledgeBaseArn });
  }

  /** A knowledge base that exists already, by id or ARN. */
  public static fromKnowledgeBaseAttributes(scope: Construct, id: string, attrs: KnowledgeBaseAttributes): IKnowledgeBase {
    return new ImportedKnowledgeBase(scope, id, attrs);
  }

  public readonly knowledgeBaseId: string;
  public readonly knowledgeBaseArn: string;
  /** The S3 data source; pass it to `StartIngestionJob` to sync the documents. */
  public readonly dataSourceId: string;
  /** Where the documents go (under `documentsPrefix`, when given). */
  public readonly documentsBucket: s3.Bucket;
  /** Encrypts the documents and the vector store. */
  public readonly encryptionKey: kms.Key;
  /** The service role Bedrock assumes to ingest and retrieve (its grants live in one customer managed policy). */
  public readonly role: iam.IRole;
  /** The S3 Vectors index holding the embeddings. */
  public readonly vectorIndexArn: string;

  /** The key prefix ingested (and readable by the knowledge base's role): only published documents. */
  public readonly documentsPrefix: string;
  private readonly servicePolicy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: KnowledgeBaseProps = {}) {
    super(scope, id);
    const where = `KnowledgeBase ${this.node.path}`;
    const embeddingModelId = props.embeddingModelId ?? TITAN_EMBED_TEXT_V2;
    const dimension = props.dimension ?? 1024;
    const chunking = props.chunking ?? KnowledgeBaseChunking.fixedSize({ maxTokens: 300, overlapPercentage: 20 });
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.documentsPrefix = props.documentsPrefix ?? DEFAULT_DOCUMENTS_PREFIX;
    validate(where, { embeddingModelId, dimension, documentsPrefix: props.documentsPrefix, description: props.description });
    const chunkingConfiguration = chunking._render(where);

    const stack = Stack.of(this);
    this.encryptionKey = createCustomerManagedKey(this, 'Key', {
      description: `Encrypts the documents and vectors of ${this.node.path}`,
      removalPolicy,
    });
    allowS3VectorsIndexing(this.encryptionKey);

    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      // S3 server access logging cannot deliver to a bucket whose default encryption is SSE-KMS.
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      // No objectOwnership: with the `@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy` flag the log
      // delivery is granted by bucket policy and S3's default (ACLs disabled) applies; without it,
      // aws-cdk-lib grants delivery with the LogDeliveryWrite ACL, which needs ObjectWriter.
      versioned: true,
      lifecycleRules: versionLifecycle(),
      removalPolicy,
    });
    this.documentsBucket = new s3.Bucket(this, 'Documents', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.encryptionKey,
      bucketKeyEnabled: true,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      lifecycleRules: versionLifecycle(),
      serverAccessLogsBucket: accessLogs,
      removalPolicy,
    });
    // Every change to the documents is an EventBridge event (free for S3's own events): a pipeline can start the
    // ingestion job on it. Set on the bucket itself, so no notifications custom resource is needed.
    (this.documentsBucket.node.defaultChild as s3.CfnBucket).notificationConfiguration = {
      eventBridgeConfiguration: { eventBridgeEnabled: true },
    };
    denyOtherEncryption(this.documentsBucket, this.encryptionKey);

    const vectorBucket = new s3vectors.CfnVectorBucket(this, 'VectorBucket', {
      encryptionConfiguration: { sseType: 'aws:kms', kmsKeyArn: this.encryptionKey.keyArn },
    });
    vectorBucket.applyRemovalPolicy(removalPolicy);
    const vectorIndex = new s3vectors.CfnIndex(this, 'VectorIndex', {
      vectorBucketArn: vectorBucket.attrVectorBucketArn,
      dataType: 'float32',
      dimension,
      distanceMetric: 'cosine',
      metadataConfiguration: { nonFilterableMetadataKeys: BEDROCK_NON_FILTERABLE_METADATA_KEYS },
    });
    vectorIndex.applyRemovalPolicy(removalPolicy);
    this.vectorIndexArn = vectorIndex.attrIndexArn;

    const role = new ManagedPolicyRole(this, 'ServiceRole', {
      // Amazon Bedrock User Guide, "Create a service role for Amazon Bedrock Knowledge Bases": only
      // knowledge bases of this account and region may use the role (confused-deputy protection).
      assumedBy: new iam.ServicePrincipal('bedrock.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:bedrock:${stack.region}:${stack.account}:knowledge-base/*` },
      }),
      description: 'Bedrock knowledge base: its documents, its key, its embedding model and its vector index only',
    });
    this.role = role;
    this.servicePolicy = role.policy;
    const embeddingModelArn = foundationModelArn(
      { partition: Aws.PARTITION, region: stack.region, account: stack.account },
      stack.region,
      embeddingModelId,
    );
    role.addToPolicy(new iam.PolicyStatement({ actions: ['bedrock:InvokeModel'], resources: [embeddingModelArn] }));
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [this.documentsBucket.bucketArn],
        conditions: this.documentsPrefix ? { StringLike: { 's3:prefix': `${this.documentsPrefix}*` } } : undefined,
      }),
    );
    role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [this.documentObjectsArn()] }));
    // Decrypt: documents and vectors; GenerateDataKey: new vectors written with SSE-KMS.
    role.addToPolicy(new iam.PolicyStatement({ actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [this.encryptionKey.keyArn] }));
    role.addToPolicy(new iam.PolicyStatement({ actions: VECTOR_INDEX_ACTIONS, resources: [vectorIndex.attrIndexArn] }));

    const knowledgeBase = new bedrock.CfnKnowledgeBase(this, 'Resource', {
      // A change of model, dimension or index replaces the knowledge base: a new name lets
      // CloudFormation create the replacement before it deletes the old one.
      name: generatedName(this, [embeddingModelId, dimension]),
      description: props.description,
      roleArn: this.role.roleArn,
      knowledgeBaseConfiguration: {
        type: 'VECTOR',
        vectorKnowledgeBaseConfiguration: {
          embeddingModelArn,
          embeddingModelConfiguration: { bedrockEmbeddingModelConfiguration: { dimensions: dimension, embeddingDataType: 'FLOAT32' } },
        },
      },
      storageConfiguration: { type: 'S3_VECTORS', s3VectorsConfiguration: { indexArn: vectorIndex.attrIndexArn } },
    });
    // Bedrock checks the role's permissions when the knowledge base is created.
    knowledgeBase.node.addDependency(this.servicePolicy);
    this.knowledgeBaseId = knowledgeBase.attrKnowledgeBaseId;
    this.knowledgeBaseArn = knowledgeBase.attrKnowledgeBaseArn;

    const dataSource = new bedrock.CfnDataSource(this, 'DataSource', {
      knowledgeBaseId: knowledgeBase.attrKnowledgeBaseId,
      // Chunking cannot be updated in place; a new name lets the replacement coexist briefly.
      name: generatedName(this, ['DataSource', chunkingConfiguration]),
      description: 'The documents bucket',
      dataSourceConfiguration: {
        type: 'S3',
        s3Configuration: {
          bucketArn: this.documentsBucket.bucketArn,
          inclusionPrefixes: this.documentsPrefix ? [this.documentsPrefix] : undefined,
        },
      },
      vectorIngestionConfiguration: { chunkingConfiguration },
      // Vectors are derived data, rebuilt from the documents by a sync. When the data source goes
      // (stack deletion, or replacement after a chunking change) its vectors go too; RETAIN would
      // leave chunks in the index that no later sync can remove and Retrieve would keep returning.
      dataDeletionPolicy: 'DELETE',
    });
    this.dataSourceId = dataSource.attrDataSourceId;

    this.acknowledgeInherentFindings(accessLogs);
  }

  /**
   * Lets `grantee` (a publishing pipeline) put documents under the prefix: `s3:PutObject` there, and
   * the key use that SSE-KMS uploads need (`kms:GenerateDataKey`; `kms:Decrypt` for multipart
   * uploads). Nothing to read, list or delete.
   */
  public grantUploadDocuments(grantee: iam.IGrantable): iam.Grant {
    const put = iam.Grant.addToPrincipal({ grantee, actions: ['s3:PutObject'], resourceArns: [this.documentObjectsArn()] });
    return put.combine(this.encryptionKey.grant(grantee, 'kms:GenerateDataKey', 'kms:Decrypt'));
  }

  private documentObjectsArn(): string {
    return this.documentsBucket.arnForObjects(`${this.documentsPrefix}*`);
  }

  private acknowledgeInherentFindings(accessLogs: s3.Bucket): void {
    Validations.of(this.servicePolicy).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.documentsBucket.node.defaultChild as s3.CfnBucket)}.Arn>/${this.documentsPrefix}*]`,
      reason:
        's3:GetObject must name objects that do not exist yet: the ARN is every key under the documents prefix of this one bucket, which is exactly what the knowledge base ingests. No other statement uses a wildcard.',
    });
    const logsNotKms =
      'Amazon S3 server access logging cannot deliver logs to a destination bucket encrypted with SSE-KMS (Amazon S3 User Guide, "Enabling Amazon S3 server access logging"); the log bucket uses SSE-S3, and the documents bucket itself uses SSE-KMS.';
    const logsNotReplicated =
      'Access logs of a re-ingestible document copy: losing them in a regional outage loses no data the service needs. Versioning protects them against overwrite and deletion; cross-region replication is left to the owner.';
    const logsNotLocked =
      'Object Lock keeps every log object (and version) undeletable for its retention period, which a stage that is destroyed cannot honour; versioning and the TLS-only, no-public-access policy protect the logs, and the lifecycle rules expire them.';
    Validations.of(accessLogs).acknowledge(
      { id: 'NIST.800.53.R5::NIST.800.53.R5-S3DefaultEncryptionKMS', reason: logsNotKms },
      { id: 'HIPAA.Security::HIPAA.Security-S3DefaultEncryptionKMS', reason: logsNotKms },
      { id: 'PCI.DSS.321::PCI.DSS.321-S3DefaultEncryptionKMS', reason: logsNotKms },
      { id: 'NIST.800.53.R4::NIST.800.53.R4-S3BucketReplicationEnabled', reason: logsNotReplicated },
      { id: 'NIST.800.53.R5::NIST.800.53.R5-S3BucketReplicationEnabled', reason: logsNotReplicated },
      { id: 'HIPAA.Security::HIPAA.Security-S3BucketReplicationEnabled', reason: logsNotReplicated },
      { id: 'PCI.DSS.321::PCI.DSS.321-S3BucketReplicationEnabled', reason: logsNotReplicated },
      { id: 'NIST.800.53.R4::NIST.800.53.R4-S3BucketDefaultLockEnabled', reason: logsNotLocked },
    );
    const documentsNotReplicated =
      "The documents are a copy published from their source of truth and can be uploaded again and re-synced; the bucket is versioned against overwrite and deletion. Cross-region replication (and a second key and bucket in another region) is the owner's decision, not a default of this construct.";
    const documentsNotLocked =
      'Unpublishing a document must remove it from the knowledge base: Object Lock would keep every version undeletable for its retention period. Versioning keeps overwritten and deleted documents recoverable until the noncurrent-version lifecycle rule expires them.';
    Validations.of(this.documentsBucket).acknowledge(
      { id: 'NIST.800.53.R4::NIST.800.53.R4-S3BucketReplicationEnabled', reason: documentsNotReplicated },
      { id: 'NIST.800.53.R5::NIST.800.53.R5-S3BucketReplicationEnabled', reason: documentsNotReplicated },
      { id: 'HIPAA.Security::HIPAA.Security-S3BucketReplicationEnabled', reason: documentsNotReplicated },
      { id: 'PCI.DSS.321::PCI.DSS.321-S3BucketReplicationEnabled', reason: documentsNotReplicated },
      { id: 'NIST.800.53.R4::NIST.800.53.R4-S3BucketDefaultLockEnabled', reason: documentsNotLocked },
    );
  }
}

class ImportedKnowledgeBase extends KnowledgeBaseBase {
  public readonly knowledgeBaseId: string;
  public readonly knowledgeBaseArn: string;

  constructor(scope: Construct, id: string, attrs: KnowledgeBaseAttributes) {
    const v = new Validator(`KnowledgeBase.fromKnowledgeBaseAttributes ${scope.node.path}/${id}`);
    const arn = attrs.knowledgeBaseArn;
    if (arn === undefined && attrs.knowledgeBaseId === undefined) v.fail('give the knowledge base id or its ARN');
    v.check(
      attrs.knowledgeBaseId,
      (kbId) => KNOWLEDGE_BASE_ID.test(kbId),
      (kbId) =>
        `'${kbId}' is not a knowledge base id (10 letters or digits, e.g. 'ABCDEFGHIJ'; not an ARN or a name: give an ARN as knowledgeBaseArn)`,
    );
    v.check(
      arn,
      (a) => /^arn:[a-z-]+:bedrock:[a-z0-9-]+:\d{12}:knowledge-base\/[0-9a-zA-Z]{10}$/.test(a),
      (a) => `'${a}' is not a knowledge base ARN (arn:<partition>:bedrock:<region>:<account>:knowledge-base/<id>)`,
    );
    super(scope, id, arn !== undefined ? { environmentFromArn: arn } : {});
    this.knowledgeBaseId = attrs.knowledgeBaseId ?? (Arn.split(arn as string, ArnFormat.SLASH_RESOURCE_NAME).resourceName as string);
    this.knowledgeBaseArn = arn ?? Stack.of(this).formatArn({ service: 'bedrock', resource: 'knowledge-base', resourceName: this.knowledgeBaseId });
  }
}

function validate(where: string, v: { embeddingModelId: string; dimension: number; documentsPrefix?: string; description?: string }): void {
  try {
    BedrockModel.foundationModel(v.embeddingModelId);
  } catch (e) {
    throw new ValidationError(`${where}: embeddingModelId: ${(e as Error).message}`);
  }
  if (!Token.isUnresolved(v.dimension)) {
    if (v.embeddingModelId === TITAN_EMBED_TEXT_V2 && !TITAN_V2_DIMENSIONS.includes(v.dimension)) {
      throw new ValidationError(
        `${where}: dimension must be one of ${TITAN_V2_DIMENSIONS.join(', ')} for ${TITAN_EMBED_TEXT_V2}, got ${v.dimension}`,
      );
    }
    if (!Number.isInteger(v.dimension) || v.dimension < 1 || v.dimension > MAX_DIMENSION) {
      throw new ValidationError(
        `${where}: dimension must be a whole number from 1 to ${MAX_DIMENSION} (the embedding model's output size), got ${v.dimension}`,
      );
    }
  }
  const prefix = v.documentsPrefix;
  if (prefix !== undefined && !Token.isUnresolved(prefix)) {
    if (prefix.length === 0 || prefix.length > 300 || prefix.startsWith('/') || /[*?]/.test(prefix)) {
      throw new ValidationError(
        `${where}: documentsPrefix must be an S3 key prefix of 1 to 300 characters without a leading '/' or wildcards, e.g. 'published/', got '${prefix}'`,
      );
    }
  }
  if (v.description !== undefined && !Token.isUnresolved(v.description) && (v.description.length === 0 || v.description.length > 200)) {
    throw new ValidationError(`${where}: description must be 1 to 200 characters, got ${v.description.length}`);
  }
}

function checkRange(what: string, value: number, min: number, max: number): void {
  if (Token.isUnresolved(value)) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ValidationError(`${what} must be a whole number from ${min} to ${max}, got ${value}`);
  }
}

/**
 * A name for a Bedrock resource (which requires one): unique to its construct path, with a short hash
 * of the settings that force replacement, 100 characters at most, matching `([0-9a-zA-Z][_-]?){1,100}`.
 */
function generatedName(scope: IConstruct, replacementSettings: unknown[]): string {
  const hash = createHash('sha256').update(JSON.stringify(replacementSettings)).digest('hex').slice(0, 8);
  return `${Names.uniqueResourceName(scope, { maxLength: 91, separator: '-' })}-${hash}`;
}

/**
 * Objects are written only with SSE-KMS under the bucket's own key. Amazon S3 applies the bucket's default encryption
 * (SSE-KMS with `key`) to a `PutObject` that names no encryption, and the condition keys describe the request's
 * headers only, so each denial requires its header to be present: an upload without encryption headers is allowed
 * (default encryption applies), while any header asking for something else is refused. `aws:kms` without a key id
 * is refused too, since Amazon S3 would use the AWS managed key `aws/s3` for it; a key id must be the key's ARN.
 */
function denyOtherEncryption(bucket: s3.Bucket, key: kms.IKey): void {
  const deny = (sid: string, conditions: Record<string, Record<string, string>>) =>
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid,
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [bucket.arnForObjects('*')],
        conditions,
      }),
    );
  const algorithm = 's3:x-amz-server-side-encryption';
  const keyId = 's3:x-amz-server-side-encryption-aws-kms-key-id';
  deny('DenyOtherEncryption', { Null: { [algorithm]: 'false' }, StringNotEquals: { [algorithm]: 'aws:kms' } });
  deny('DenyAwsManagedKey', { StringEquals: { [algorithm]: 'aws:kms' }, Null: { [keyId]: 'true' } });
  deny('DenyOtherKeys', { Null: { [keyId]: 'false' }, StringNotEquals: { [keyId]: key.keyArn } });
  deny('DenyCustomerProvidedKeys', { Null: { 's3:x-amz-server-side-encryption-customer-algorithm': 'false' } });
}

/**
 * S3 Vectors maintains indexes in the background as `indexing.s3vectors.amazonaws.com`, which must be
 * able to decrypt with the bucket's key (Amazon S3 User Guide, "Data protection and encryption in S3
 * Vectors"). Scoped to vector buckets of this account and region: naming this bucket exactly would
 * make the key and the bucket depend on each other.
 */
function allowS3VectorsIndexing(key: kms.Key): void {
  const stack = Stack.of(key);
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal('indexing.s3vectors.amazonaws.com')],
      actions: ['kms:Decrypt'],
      resources: ['*'],
      conditions: {
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:s3vectors:${stack.region}:${stack.account}:bucket/*` },
      },
    }),
  );
}
