import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { KnowledgeBase, KnowledgeBaseChunking, KnowledgeBaseProps } from '../../../lib/constructs/knowledge-base';
import { testStack } from '../../support/cdk-app';

function kbIn(stack: Stack, props: KnowledgeBaseProps = {}) {
  const kb = new KnowledgeBase(stack, 'Kb', props);
  return { kb, template: Template.fromStack(stack) };
}

/** `{ "Fn::GetAtt": [<logical id of the construct's CFN resource>, attribute] }` */
function getAtt(stack: Stack, construct: { node: { defaultChild?: unknown } } | unknown, attribute: string) {
  const cfn = (construct as { node?: { defaultChild?: unknown } }).node?.defaultChild ?? construct;
  return { 'Fn::GetAtt': [stack.getLogicalId(cfn as never), attribute] };
}

function logicalIdOf(template: Template, type: string): string {
  const ids = Object.keys(template.findResources(type));
  expect(ids).toHaveLength(1);
  return ids[0];
}

function roleStatements(template: Template): Array<Record<string, unknown>> {
  const policies = Object.values(template.findResources('AWS::IAM::ManagedPolicy'));
  expect(policies).toHaveLength(1);
  return policies[0].Properties.PolicyDocument.Statement;
}

function bucketIds(template: Template) {
  const buckets = template.findResources('AWS::S3::Bucket');
  const documents = Object.keys(buckets).find((id) => id.startsWith('KbDocuments'))!;
  const logs = Object.keys(buckets).find((id) => id.startsWith('KbAccessLogs'))!;
  expect(Object.keys(buckets).sort()).toEqual([logs, documents].sort());
  return { documents, logs };
}

/** Overwritten and deleted objects expire after 90 days; unfinished uploads after 7 (CT.S3.PR.3, CT.S3.PR.6). */
const NONCURRENT_LIFECYCLE = {
  Rules: [
    {
      Id: 'ExpireNoncurrentVersions',
      Status: 'Enabled',
      NoncurrentVersionExpiration: { NoncurrentDays: 90 },
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
    },
  ],
};

describe('KnowledgeBase', () => {
  describe('documents bucket', () => {
    test('SSE-KMS with its own rotating key (bucket keys on), versioned, public access blocked, ACLs off, access logs to the log bucket', () => {
      const { template } = kbIn(testStack());
      const { documents, logs } = bucketIds(template);
      const key = logicalIdOf(template, 'AWS::KMS::Key');
      template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
      expect(template.toJSON().Resources[documents].Properties).toEqual({
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            {
              BucketKeyEnabled: true,
              ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [key, 'Arn'] } },
            },
          ],
        },
        VersioningConfiguration: { Status: 'Enabled' },
        LifecycleConfiguration: NONCURRENT_LIFECYCLE,
        NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        LoggingConfiguration: { DestinationBucketName: { Ref: logs } },
      });
      // EventBridge notifications set on the bucket itself: no notifications custom resource (and its function).
      expect(template.findResources('Custom::S3BucketNotifications')).toEqual({});
      expect(template.findResources('AWS::Lambda::Function')).toEqual({});
    });

    test('denies PutObject unless SSE-KMS with its own key: other algorithms, aws:kms without a key id, other keys and SSE-C', () => {
      const { template } = kbIn(testStack());
      const { documents } = bucketIds(template);
      const key = { 'Fn::GetAtt': [logicalIdOf(template, 'AWS::KMS::Key'), 'Arn'] };
      const deny = (Sid: string, Condition: object) => ({
        Sid,
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 's3:PutObject',
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [documents, 'Arn'] }, '/*']] },
        Condition,
      });
      const algorithm = 's3:x-amz-server-side-encryption';
      const keyId = 's3:x-amz-server-side-encryption-aws-kms-key-id';
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: documents },
        PolicyDocument: {
          Statement: Match.arrayWith([
            deny('DenyOtherEncryption', { Null: { [algorithm]: 'false' }, StringNotEquals: { [algorithm]: 'aws:kms' } }),
            deny('DenyAwsManagedKey', { StringEquals: { [algorithm]: 'aws:kms' }, Null: { [keyId]: 'true' } }),
            deny('DenyOtherKeys', { Null: { [keyId]: 'false' }, StringNotEquals: { [keyId]: key } }),
            deny('DenyCustomerProvidedKeys', { Null: { 's3:x-amz-server-side-encryption-customer-algorithm': 'false' } }),
          ]),
        },
      });
    });

    test('its key lets no principal create grants except for AWS resources (CT.KMS.PR.3)', () => {
      const { template } = kbIn(testStack());
      template.hasResourceProperties('AWS::KMS::Key', {
        KeyPolicy: {
          Statement: Match.arrayWith([
            {
              Sid: 'GrantsOnlyForAwsResources',
              Effect: 'Deny',
              Principal: { AWS: '*' },
              Action: 'kms:CreateGrant',
              Resource: '*',
              Condition: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
            },
          ]),
        },
      });
    });

    test('both buckets deny every request without TLS', () => {
      const { template } = kbIn(testStack());
      for (const bucket of Object.values(bucketIds(template))) {
        template.hasResourceProperties('AWS::S3::BucketPolicy', {
          Bucket: { Ref: bucket },
          PolicyDocument: {
            Statement: Match.arrayWith([
              {
                Effect: 'Deny',
                Principal: { AWS: '*' },
                Action: 's3:*',
                Condition: { Bool: { 'aws:SecureTransport': 'false' } },
                Resource: [{ 'Fn::GetAtt': [bucket, 'Arn'] }, { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucket, 'Arn'] }, '/*']] }],
              },
            ]),
          },
        });
      }
    });

    test('the log bucket is SSE-S3 (log delivery cannot use SSE-KMS), versioned, private, and accepts logs from the documents bucket only', () => {
      const { template } = kbIn(testStack());
      const { documents, logs } = bucketIds(template);
      expect(template.toJSON().Resources[logs].Properties).toEqual({
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        VersioningConfiguration: { Status: 'Enabled' },
        LifecycleConfiguration: NONCURRENT_LIFECYCLE,
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      });
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: logs },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Allow',
              Principal: { Service: 'logging.s3.amazonaws.com' },
              Action: 's3:PutObject',
              Condition: {
                ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [documents, 'Arn'] } },
                StringEquals: { 'aws:SourceAccount': '123456789012' },
              },
            }),
          ]),
        },
      });
    });
  });

  describe('vector store', () => {
    test('an S3 vector bucket encrypted with the documents key, which lets S3 Vectors indexing (this account and region only) decrypt', () => {
      const { template } = kbIn(testStack());
      const key = logicalIdOf(template, 'AWS::KMS::Key');
      template.hasResourceProperties('AWS::S3Vectors::VectorBucket', {
        EncryptionConfiguration: { SseType: 'aws:kms', KmsKeyArn: { 'Fn::GetAtt': [key, 'Arn'] } },
      });
      template.hasResourceProperties('AWS::KMS::Key', {
        KeyPolicy: {
          Statement: Match.arrayWith([
            {
              Effect: 'Allow',
              Principal: { Service: 'indexing.s3vectors.amazonaws.com' },
              Action: 'kms:Decrypt',
              Resource: '*',
              Condition: {
                StringEquals: { 'aws:SourceAccount': '123456789012' },
                ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3vectors:us-east-1:123456789012:bucket/*']] } },
              },
            },
          ]),
        },
      });
    });

    test('a float32 cosine index of the given dimension, with the Bedrock text and metadata keys non-filterable', () => {
      const { template } = kbIn(testStack(), { dimension: 512 });
      const vectorBucket = logicalIdOf(template, 'AWS::S3Vectors::VectorBucket');
      expect(Object.values(template.findResources('AWS::S3Vectors::Index')).map((r) => r.Properties)).toEqual([
        {
          VectorBucketArn: { 'Fn::GetAtt': [vectorBucket, 'VectorBucketArn'] },
          DataType: 'float32',
          Dimension: 512,
          DistanceMetric: 'cosine',
          MetadataConfiguration: { NonFilterableMetadataKeys: ['AMAZON_BEDROCK_TEXT', 'AMAZON_BEDROCK_METADATA'] },
        },
      ]);
    });
  });

  describe('removal policy', () => {
    test.each([
      [undefined, 'Retain'],
      [RemovalPolicy.DESTROY, 'Delete'],
    ])('%s: buckets, key, vector bucket and index get %s', (removalPolicy, expected) => {
      const { template } = kbIn(testStack(), { removalPolicy });
      for (const type of ['AWS::S3::Bucket', 'AWS::KMS::Key', 'AWS::S3Vectors::VectorBucket', 'AWS::S3Vectors::Index']) {
        const resources = Object.values(template.findResources(type));
        expect(resources.length).toBeGreaterThan(0);
        for (const r of resources) expect([type, r.DeletionPolicy, r.UpdateReplacePolicy]).toEqual([type, expected, expected]);
      }
    });

    test('no auto-delete custom resource, even with DESTROY', () => {
      const { template } = kbIn(testStack(), { removalPolicy: RemovalPolicy.DESTROY });
      template.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
      template.resourceCountIs('AWS::Lambda::Function', 0);
    });
  });

  describe('service role', () => {
    test('only Bedrock may assume it, only for knowledge bases of this account and region', () => {
      const { template } = kbIn(testStack('eu-west-1'));
      expect(Object.values(template.findResources('AWS::IAM::Role')).map((r) => r.Properties.AssumeRolePolicyDocument.Statement)).toEqual([
        [
          {
            Effect: 'Allow',
            Principal: { Service: 'bedrock.amazonaws.com' },
            Action: 'sts:AssumeRole',
            Condition: {
              StringEquals: { 'aws:SourceAccount': '123456789012' },
              ArnLike: {
                'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':bedrock:eu-west-1:123456789012:knowledge-base/*']] },
              },
            },
          },
        ],
      ]);
    });

    test('may do exactly: invoke the embedding model here, list and read the documents under the prefix, use the key, read and write the index', () => {
      const stack = testStack();
      const { template } = kbIn(stack, { documentsPrefix: 'docs/' });
      const { documents } = bucketIds(template);
      const key = logicalIdOf(template, 'AWS::KMS::Key');
      const index = logicalIdOf(template, 'AWS::S3Vectors::Index');
      expect(roleStatements(template)).toEqual([
        {
          Effect: 'Allow',
          Action: 'bedrock:InvokeModel',
          Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':bedrock:us-east-1::foundation-model/amazon.titan-embed-text-v2:0']] },
        },
        {
          Effect: 'Allow',
          Action: 's3:ListBucket',
          Resource: { 'Fn::GetAtt': [documents, 'Arn'] },
          Condition: { StringLike: { 's3:prefix': 'docs/*' } },
        },
        { Effect: 'Allow', Action: 's3:GetObject', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [documents, 'Arn'] }, '/docs/*']] } },
        { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: { 'Fn::GetAtt': [key, 'Arn'] } },
        {
          Effect: 'Allow',
          Action: ['s3vectors:DeleteVectors', 's3vectors:GetIndex', 's3vectors:GetVectors', 's3vectors:PutVectors', 's3vectors:QueryVectors'],
          Resource: { 'Fn::GetAtt': [index, 'IndexArn'] },
        },
      ]);
      template.resourceCountIs('AWS::IAM::Policy', 0);
    });

    test('every statement names one resource; the only wildcard is the object keys under the prefix of the documents bucket', () => {
      for (const [documentsPrefix, objects] of [
        [undefined, '/published/*'],
        ['docs/', '/docs/*'],
      ]) {
        const statements = roleStatements(kbIn(testStack(), { documentsPrefix }).template);
        for (const s of statements) expect(Array.isArray(s.Resource)).toBe(false);
        const withWildcard = statements.filter((s) => JSON.stringify(s.Resource).includes('*'));
        expect(withWildcard.map((s) => [s.Action, s.Resource])).toEqual([
          ['s3:GetObject', { 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^KbDocuments/), 'Arn'] }, objects]] }],
        ]);
      }
    });

    test('by default the role reads only the published/ prefix: drafts elsewhere in the bucket never reach an answer', () => {
      const { template } = kbIn(testStack());
      const { documents } = bucketIds(template);
      const s3Statements = roleStatements(template).filter((s) => String(s.Action).startsWith('s3:'));
      expect(s3Statements).toEqual([
        {
          Effect: 'Allow',
          Action: 's3:ListBucket',
          Resource: { 'Fn::GetAtt': [documents, 'Arn'] },
          Condition: { StringLike: { 's3:prefix': 'published/*' } },
        },
        { Effect: 'Allow', Action: 's3:GetObject', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [documents, 'Arn'] }, '/published/*']] } },
      ]);
    });
  });

  describe('knowledge base', () => {
    test('a vector knowledge base on the index, embedding with the model in the stack region, created after its role policy', () => {
      const stack = testStack('us-west-2');
      const { template } = kbIn(stack, { description: 'Company handbook' });
      const index = logicalIdOf(template, 'AWS::S3Vectors::Index');
      const role = logicalIdOf(template, 'AWS::IAM::Role');
      const policy = logicalIdOf(template, 'AWS::IAM::ManagedPolicy');
      template.hasResource('AWS::Bedrock::KnowledgeBase', {
        DependsOn: Match.arrayWith([policy]),
        Properties: {
          Name: Match.stringLikeRegexp('^([0-9a-zA-Z][_-]?){1,100}$'),
          Description: 'Company handbook',
          RoleArn: { 'Fn::GetAtt': [role, 'Arn'] },
          KnowledgeBaseConfiguration: {
            Type: 'VECTOR',
            VectorKnowledgeBaseConfiguration: {
              EmbeddingModelArn: {
                'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':bedrock:us-west-2::foundation-model/amazon.titan-embed-text-v2:0']],
              },
              EmbeddingModelConfiguration: { BedrockEmbeddingModelConfiguration: { Dimensions: 1024, EmbeddingDataType: 'FLOAT32' } },
            },
          },
          StorageConfiguration: { Type: 'S3_VECTORS', S3VectorsConfiguration: { IndexArn: { 'Fn::GetAtt': [index, 'IndexArn'] } } },
        },
      });
    });

    test('another embedding model takes its own dimension; the role may invoke that model only', () => {
      const { template } = kbIn(testStack(), { embeddingModelId: 'cohere.embed-multilingual-v3', dimension: 1024 });
      template.hasResourceProperties('AWS::Bedrock::KnowledgeBase', {
        KnowledgeBaseConfiguration: {
          VectorKnowledgeBaseConfiguration: Match.objectLike({
            EmbeddingModelArn: {
              'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':bedrock:us-east-1::foundation-model/cohere.embed-multilingual-v3']],
            },
          }),
        },
      });
      const invoke = roleStatements(template).filter((s) => s.Action === 'bedrock:InvokeModel');
      expect(JSON.stringify(invoke)).toContain('foundation-model/cohere.embed-multilingual-v3');
      expect(JSON.stringify(invoke)).not.toContain('titan');
      expect(() => kbIn(testStack(), { embeddingModelId: 'amazon.titan-embed-text-v1', dimension: 1536 })).not.toThrow();
    });
  });

  describe('data source', () => {
    test('the documents bucket under the prefix, fixed-size 300/20 chunking by default, vectors deleted with the data source', () => {
      const { template } = kbIn(testStack(), { documentsPrefix: 'docs/' });
      const { documents } = bucketIds(template);
      const kb = logicalIdOf(template, 'AWS::Bedrock::KnowledgeBase');
      expect(Object.values(template.findResources('AWS::Bedrock::DataSource')).map((r) => r.Properties)).toEqual([
        {
          Name: expect.stringMatching(/^([0-9a-zA-Z][_-]?){1,100}$/),
          Description: 'The documents bucket',
          KnowledgeBaseId: { 'Fn::GetAtt': [kb, 'KnowledgeBaseId'] },
          DataSourceConfiguration: { Type: 'S3', S3Configuration: { BucketArn: { 'Fn::GetAtt': [documents, 'Arn'] }, InclusionPrefixes: ['docs/'] } },
          VectorIngestionConfiguration: {
            ChunkingConfiguration: { ChunkingStrategy: 'FIXED_SIZE', FixedSizeChunkingConfiguration: { MaxTokens: 300, OverlapPercentage: 20 } },
          },
          DataDeletionPolicy: 'DELETE',
        },
      ]);
    });

    test('by default only the published/ prefix is ingested', () => {
      const { template } = kbIn(testStack());
      const source = Object.values(template.findResources('AWS::Bedrock::DataSource'))[0];
      expect(source.Properties.DataSourceConfiguration.S3Configuration.InclusionPrefixes).toEqual(['published/']);
    });

    test.each([
      [
        'fixed size',
        KnowledgeBaseChunking.fixedSize({ maxTokens: 512, overlapPercentage: 10 }),
        { ChunkingStrategy: 'FIXED_SIZE', FixedSizeChunkingConfiguration: { MaxTokens: 512, OverlapPercentage: 10 } },
      ],
      [
        'semantic',
        KnowledgeBaseChunking.semantic({ maxTokens: 400, bufferSize: 1, breakpointPercentileThreshold: 90 }),
        { ChunkingStrategy: 'SEMANTIC', SemanticChunkingConfiguration: { MaxTokens: 400, BufferSize: 1, BreakpointPercentileThreshold: 90 } },
      ],
      ['none', KnowledgeBaseChunking.none(), { ChunkingStrategy: 'NONE' }],
    ])('%s chunking renders as given', (_what, chunking, expected) => {
      const { template } = kbIn(testStack(), { chunking });
      const source = Object.values(template.findResources('AWS::Bedrock::DataSource'))[0];
      expect(source.Properties.VectorIngestionConfiguration).toEqual({ ChunkingConfiguration: expected });
    });

    test('a chunking change (which replaces the data source) changes its name; the same settings keep it', () => {
      const name = (chunking?: KnowledgeBaseChunking) =>
        Object.values(kbIn(testStack(), { chunking }).template.findResources('AWS::Bedrock::DataSource'))[0].Properties.Name;
      expect(name()).toBe(name(KnowledgeBaseChunking.fixedSize({ maxTokens: 300, overlapPercentage: 20 })));
      expect(name()).not.toBe(name(KnowledgeBaseChunking.fixedSize({ maxTokens: 300, overlapPercentage: 25 })));
    });
  });

  describe('grants', () => {
    test('grantRetrieve: exactly bedrock:Retrieve on this knowledge base', () => {
      const stack = testStack();
      const kb = new KnowledgeBase(stack, 'Kb');
      const caller = new iam.Role(stack, 'Caller', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      kb.grantRetrieve(caller);
      const statements = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy')).flatMap(
        (p) => p.Properties.PolicyDocument.Statement,
      );
      expect(statements).toEqual([{ Effect: 'Allow', Action: 'bedrock:Retrieve', Resource: getAtt(stack, kb, 'KnowledgeBaseArn') }]);
    });

    test('grantUploadDocuments: PutObject under the prefix and the key use uploads need, no read, list or delete', () => {
      const stack = testStack();
      const kb = new KnowledgeBase(stack, 'Kb', { documentsPrefix: 'docs/' });
      const pipeline = new iam.Role(stack, 'Pipeline', { assumedBy: new iam.ServicePrincipal('codebuild.amazonaws.com') });
      kb.grantUploadDocuments(pipeline);
      const template = Template.fromStack(stack);
      const { documents } = bucketIds(template);
      const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
      expect(statements).toEqual([
        { Effect: 'Allow', Action: 's3:PutObject', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [documents, 'Arn'] }, '/docs/*']] } },
        { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: getAtt(stack, kb.encryptionKey, 'Arn') },
      ]);
    });

    test('fromKnowledgeBaseId: the ARN from the stack environment, and grantRetrieve on exactly it', () => {
      const stack = testStack('eu-central-1');
      const kb = KnowledgeBase.fromKnowledgeBaseId(stack, 'Existing', 'ABCDE12345');
      expect(kb.knowledgeBaseId).toBe('ABCDE12345');
      expect(stack.resolve(kb.knowledgeBaseArn)).toBe('arn:aws:bedrock:eu-central-1:123456789012:knowledge-base/ABCDE12345');
      const caller = new iam.Role(stack, 'Caller', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      kb.grantRetrieve(caller);
      const statements = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy')).flatMap(
        (p) => p.Properties.PolicyDocument.Statement,
      );
      expect(statements).toEqual([{ Effect: 'Allow', Action: 'bedrock:Retrieve', Resource: stack.resolve(kb.knowledgeBaseArn) }]);
    });

    test('fromKnowledgeBaseId rejects an ARN or a name, naming it', () => {
      expect(() =>
        KnowledgeBase.fromKnowledgeBaseId(testStack(), 'Existing', 'arn:aws:bedrock:us-east-1:123456789012:knowledge-base/ABCDE12345'),
      ).toThrow(/Test\/Existing: 'arn:aws:bedrock:.*' is not a knowledge base id/);
      expect(() => KnowledgeBase.fromKnowledgeBaseId(testStack(), 'Existing', 'my-kb')).toThrow(/'my-kb' is not a knowledge base id/);
    });
  });

  test.each([
    [
      'a Titan v2 dimension it cannot produce',
      { dimension: 768 },
      /Test\/Kb: dimension must be one of 256, 512, 1024 for amazon.titan-embed-text-v2:0, got 768/,
    ],
    ['a zero dimension', { embeddingModelId: 'cohere.embed-english-v3', dimension: 0 }, /dimension must be a whole number from 1 to 4096 .*got 0/],
    [
      'a dimension beyond S3 Vectors',
      { embeddingModelId: 'cohere.embed-english-v3', dimension: 5000 },
      /dimension must be a whole number from 1 to 4096 .*got 5000/,
    ],
    [
      'an inference profile as embedding model',
      { embeddingModelId: 'us.amazon.titan-embed-text-v2:0' },
      /Test\/Kb: embeddingModelId: .*'us.amazon.titan-embed-text-v2:0' is not a foundation model id/,
    ],
    ['a prefix with a leading slash', { documentsPrefix: '/docs/' }, /documentsPrefix must be an S3 key prefix .* got '\/docs\/'/],
    ['a prefix with a wildcard', { documentsPrefix: 'docs/*' }, /documentsPrefix must be an S3 key prefix .* got 'docs\/\*'/],
    ['an empty prefix', { documentsPrefix: '' }, /documentsPrefix must be an S3 key prefix .*e\.g\. 'published\/'/],
    ['a long description', { description: 'x'.repeat(201) }, /description must be 1 to 200 characters, got 201/],
    [
      'zero max tokens',
      { chunking: KnowledgeBaseChunking.fixedSize({ maxTokens: 0, overlapPercentage: 20 }) },
      /Test\/Kb: chunking maxTokens must be a whole number from 1 to 8192, got 0/,
    ],
    [
      'too many max tokens',
      { chunking: KnowledgeBaseChunking.fixedSize({ maxTokens: 9000, overlapPercentage: 20 }) },
      /chunking maxTokens must be a whole number from 1 to 8192, got 9000/,
    ],
    [
      'a 100% overlap',
      { chunking: KnowledgeBaseChunking.fixedSize({ maxTokens: 300, overlapPercentage: 100 }) },
      /chunking overlapPercentage must be a whole number from 1 to 99, got 100/,
    ],
    [
      'a fractional overlap',
      { chunking: KnowledgeBaseChunking.fixedSize({ maxTokens: 300, overlapPercentage: 12.5 }) },
      /chunking overlapPercentage must be a whole number from 1 to 99, got 12.5/,
    ],
    [
      'a low semantic threshold',
      { chunking: KnowledgeBaseChunking.semantic({ maxTokens: 300, bufferSize: 0, breakpointPercentileThreshold: 40 }) },
      /breakpointPercentileThreshold must be a whole number from 50 to 99, got 40/,
    ],
    [
      'a semantic buffer of 2',
      { chunking: KnowledgeBaseChunking.semantic({ maxTokens: 300, bufferSize: 2, breakpointPercentileThreshold: 90 }) },
      /bufferSize must be a whole number from 0 to 1, got 2/,
    ],
  ])('rejects %s with a message that names the value', (_what, props, message) => {
    expect(() => kbIn(testStack(), props as KnowledgeBaseProps)).toThrow(message);
  });
});
