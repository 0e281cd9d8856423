/**
 * What each role of a stage must be able to do, and representative things it must not, derived from what uses the
 * role and from the contract it is deployed with, never from its policies: a chat function's calls from its
 * environment (contract/env.ts: its models, tables, knowledge base, guardrail), its log group and tracing; the
 * knowledge-base sync function's from contract/knowledge-base-sync.ts and its queue; a knowledge base's from its
 * embedding model, data source and vector index; the guest roles' from the identity pool; the trust policies from
 * who must (and must not) assume each role. Each expectation becomes one simulated call
 * (test/support/iam-simulation.ts).
 */
import { ENV } from '../../contract/env';
import { SYNC_ENV } from '../../contract/knowledge-base-sync';
import { type Call, OTHER_ACCOUNT, resolved, resourcesOfType, SIMULATED_ACCOUNT, type SimulatedRole, type StackTemplate } from './iam-simulation';

export interface Expectation {
  readonly role: SimulatedRole;
  readonly call: Call;
  readonly allowed: boolean;
  /** Why, in the product's words (shown when the simulation disagrees). */
  readonly why: string;
}

/** A model that no stage grants. */
const OTHER_MODEL = 'anthropic.claude-3-opus-20240229-v1:0';
/** A region of another geography than each geography's own (for the denied cross-geography call). */
const FOREIGN_REGION: Record<string, string> = { us: 'eu-west-1', eu: 'us-east-1', apac: 'us-east-1' };
/** A destination region, other than the caller's, that a geographic profile routes to. */
const OTHER_DESTINATION: Record<string, string> = { us: 'us-west-2', eu: 'eu-central-1', apac: 'ap-southeast-2' };

type Env = Record<string, string>;

/** The logical id `value` (`{ "Fn::GetAtt": [id, attribute] }`) refers to, or ''. */
const getAttOf = (value: unknown): string => ((value as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt'] ?? [''])[0];
/** The logical id `value` (`{ Ref: id }`) refers to, or undefined. */
const refOf = (value: unknown): string | undefined => (value as { Ref?: string } | undefined)?.Ref;

/** The expectations for every role of `stack` whose user is known, and the roles without one. */
export function expectationsFor(stack: StackTemplate, roles: SimulatedRole[]): { expectations: Expectation[]; unexplained: SimulatedRole[] } {
  const { region } = stack.at;
  const account = SIMULATED_ACCOUNT;
  const expectations: Expectation[] = [];
  const explained = new Set<string>();
  const roleByLogicalId = new Map(roles.map((r) => [r.logicalId, r]));
  const add = (role: SimulatedRole, allowed: boolean, why: string, call: Call) => expectations.push({ role, call, allowed, why });
  const allow = (role: SimulatedRole, why: string, call: Call) => add(role, true, why, call);
  const deny = (role: SimulatedRole, why: string, call: Call) => add(role, false, why, call);
  const otherKey = `arn:aws:kms:${region}:${account}:key/00000000-1111-4222-8333-444444444444`;
  const otherRole = `arn:aws:iam::${account}:role/SomeoneElsesRole`;
  const tableArn = (name: string, inAccount = account) => `arn:aws:dynamodb:${region}:${inAccount}:table/${name}`;
  const kbArn = (id: string) => `arn:aws:bedrock:${region}:${account}:knowledge-base/${id}`;

  /** Every role a function runs as may be assumed by Lambda, and by no other service. */
  const lambdaTrust = (role: SimulatedRole) => {
    allow(role, 'Lambda assumes the function role', { action: 'sts:AssumeRole', resource: role.arn, principal: 'lambda.amazonaws.com' });
    deny(role, 'no other service assumes it', { action: 'sts:AssumeRole', resource: role.arn, principal: 'ec2.amazonaws.com' });
  };
  /** What every role of this project must never do. */
  const neverAnywhere = (role: SimulatedRole) => {
    deny(role, 'no model call on any resource', { action: 'bedrock:InvokeModel', resource: '*' });
    deny(role, 'no guardrail administration', { action: 'bedrock:CreateGuardrail', resource: '*' });
    deny(role, 'no other role assumed', { action: 'sts:AssumeRole', resource: otherRole });
    deny(role, 'no other key used', { action: 'kms:Decrypt', resource: otherKey });
    deny(role, "no table of another account's", {
      action: 'dynamodb:GetItem',
      resource: tableArn('Chats', OTHER_ACCOUNT),
      resourceAccount: OTHER_ACCOUNT,
    });
  };

  for (const [functionId, fn] of resourcesOfType(stack, 'AWS::Lambda::Function')) {
    const props = fn.Properties ?? {};
    const roleId = getAttOf(props.Role);
    const role = roleByLogicalId.get(roleId);
    if (!role) continue;
    const variables = (props.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
    const isChat = ENV.authMode in variables;
    const isSync = SYNC_ENV.dataSourceId in variables;
    if (!isChat && !isSync) continue; // aws-cdk-lib's own helpers: judged by policyFindings and neverAnywhere only
    explained.add(role.logicalId);
    const env = resolved<Env>(stack, variables);
    const logGroup = resolved<string>(stack, (props.LoggingConfig as { LogGroup: unknown }).LogGroup);
    const logGroupArn = `arn:aws:logs:${region}:${account}:log-group:${logGroup}`;
    lambdaTrust(role);
    neverAnywhere(role);
    allow(role, 'it writes its own log group', { action: 'logs:PutLogEvents', resource: `${logGroupArn}:log-stream:2026/12/02/[$LATEST]abc` });
    allow(role, 'it creates streams in its own log group', { action: 'logs:CreateLogStream', resource: `${logGroupArn}:log-stream:x` });
    deny(role, 'no other log group', {
      action: 'logs:PutLogEvents',
      resource: `arn:aws:logs:${region}:${account}:log-group:/aws/lambda/other:log-stream:x`,
    });
    if ((props.TracingConfig as { Mode?: string } | undefined)?.Mode === 'Active') {
      allow(role, 'active tracing sends segments to X-Ray', { action: 'xray:PutTraceSegments', resource: '*' });
      allow(role, 'and telemetry', { action: 'xray:PutTelemetryRecords', resource: '*' });
    }
    if (isSync) {
      const kb = kbArn(env[SYNC_ENV.knowledgeBaseId]);
      allow(role, 'it starts ingestion jobs of its knowledge base', { action: 'bedrock:StartIngestionJob', resource: kb });
      allow(role, 'and lists them', { action: 'bedrock:ListIngestionJobs', resource: kb });
      deny(role, 'no ingestion on another knowledge base', { action: 'bedrock:StartIngestionJob', resource: kbArn('OTHERKB000') });
      deny(role, 'no knowledge base administration', { action: 'bedrock:DeleteKnowledgeBase', resource: kb });
      deny(role, 'no retrieval', { action: 'bedrock:Retrieve', resource: kb });
      for (const [, mapping] of resourcesOfType(stack, 'AWS::Lambda::EventSourceMapping')) {
        if (refOf(mapping.Properties?.FunctionName) !== functionId) continue;
        const queueArn = resolved<string>(stack, mapping.Properties?.EventSourceArn);
        for (const action of ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes']) {
          allow(role, 'Lambda polls its queue with the function role', { action, resource: queueArn });
        }
        deny(role, 'it never sends to its queue', { action: 'sqs:SendMessage', resource: queueArn });
        deny(role, 'no other queue', { action: 'sqs:ReceiveMessage', resource: `arn:aws:sqs:${region}:${account}:other-queue` });
        const queueId = getAttOf(mapping.Properties?.EventSourceArn);
        const queueKey = stack.template.Resources[queueId]?.Properties?.KmsMasterKeyId;
        if (queueKey) allow(role, 'it reads messages of its encrypted queue', { action: 'kms:Decrypt', resource: resolved(stack, queueKey) });
      }
      continue;
    }
    // A chat function: its rate-limit table, then what its mode names.
    const rateLimits = env[ENV.rateLimitTable];
    allow(role, 'it counts requests on its rate-limit table', { action: 'dynamodb:UpdateItem', resource: tableArn(rateLimits) });
    for (const action of ['dynamodb:Scan', 'dynamodb:DeleteTable', 'dynamodb:DeleteItem', 'dynamodb:PutItem']) {
      deny(role, 'counting needs UpdateItem only', { action, resource: tableArn(rateLimits) });
    }
    deny(role, 'no rate-limit table of another account', {
      action: 'dynamodb:UpdateItem',
      resource: tableArn(rateLimits, OTHER_ACCOUNT),
      resourceAccount: OTHER_ACCOUNT,
    });
    deny(role, 'no other table of the account', { action: 'dynamodb:UpdateItem', resource: tableArn('other-table') });
    const history = env[ENV.historyTable];
    if (history) {
      for (const action of [
        'dynamodb:GetItem',
        'dynamodb:Query',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        'dynamodb:BatchWriteItem',
      ]) {
        allow(role, 'it reads, appends and deletes stored chats', { action, resource: tableArn(history) });
      }
      allow(role, 'it lists chats by their update time', { action: 'dynamodb:Query', resource: `${tableArn(history)}/index/byUpdated` });
      deny(role, 'never a whole-table scan', { action: 'dynamodb:Scan', resource: tableArn(history) });
      deny(role, 'never the table itself', { action: 'dynamodb:DeleteTable', resource: tableArn(history) });
      const key = tableKey(stack, history);
      if (key) {
        allow(role, 'the stored chats are encrypted with their own key', { action: 'kms:Decrypt', resource: key });
        allow(role, 'and written with it', { action: 'kms:GenerateDataKey', resource: key });
      }
    }
    const apiKeys = env[ENV.apiKeyTable];
    if (apiKeys) {
      allow(role, 'it looks an API key up by its hash', { action: 'dynamodb:GetItem', resource: tableArn(apiKeys) });
      for (const action of ['dynamodb:Scan', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem']) {
        deny(role, 'keys are administered by their owners, never by the function', { action, resource: tableArn(apiKeys) });
      }
      const key = tableKey(stack, apiKeys);
      if (key) allow(role, 'the key table is encrypted with its own key', { action: 'kms:Decrypt', resource: key });
    }
    // Every other key of the stack is someone else's (log keys are used by CloudWatch Logs, not by the function).
    const ownKeys = new Set([history, apiKeys].filter(Boolean).map((t) => tableKey(stack, t)));
    for (const [keyId] of resourcesOfType(stack, 'AWS::KMS::Key')) {
      const arn = resolved<string>(stack, { 'Fn::GetAtt': [keyId, 'Arn'] });
      if (!ownKeys.has(arn)) deny(role, `the stack's key ${keyId} is not the function's`, { action: 'kms:Decrypt', resource: arn });
    }
    const knowledgeBase = env[ENV.knowledgeBaseId];
    if (knowledgeBase) {
      allow(role, 'it retrieves from its knowledge base', { action: 'bedrock:Retrieve', resource: kbArn(knowledgeBase) });
      deny(role, 'no other knowledge base', { action: 'bedrock:Retrieve', resource: kbArn('OTHERKB000') });
      deny(role, 'it never ingests', { action: 'bedrock:StartIngestionJob', resource: kbArn(knowledgeBase) });
      for (const [bucketId] of resourcesOfType(stack, 'AWS::S3::Bucket')) {
        const bucket = resolved<string>(stack, { 'Fn::GetAtt': [bucketId, 'Arn'] });
        for (const action of ['s3:PutObject', 's3:DeleteObject', 's3:GetObject']) {
          deny(role, 'the chat never touches the documents (Retrieve reads the index)', { action, resource: `${bucket}/published/handbook.pdf` });
        }
      }
    }
    const guardrail = env[ENV.guardrailId];
    if (guardrail) {
      allow(role, 'every model call names its guardrail', { action: 'bedrock:ApplyGuardrail', resource: guardrail });
      deny(role, 'no other guardrail', { action: 'bedrock:ApplyGuardrail', resource: `arn:aws:bedrock:${region}:${account}:guardrail/othergr0000` });
    }
    const models = env[ENV.models] ? (JSON.parse(env[ENV.models]) as Record<string, string>) : {};
    const callerSigned = env[ENV.bedrockAccess] !== undefined && env[ENV.bedrockAccess] !== 'function-role';
    // A guardrail is enforced in IAM (every model grant conditioned on it) where the function serves guests.
    const enforced = guardrail && env[ENV.guestRoleArns] ? `${guardrail}:${env[ENV.guardrailVersion]}` : undefined;
    for (const id of Object.values(models)) {
      modelExpectations(id, callerSigned, enforced);
    }
    const someProfile = Object.values(models)[0];
    deny(role, 'no model the stage does not name', {
      action: 'bedrock:InvokeModelWithResponseStream',
      resource: `arn:aws:bedrock:${region}::foundation-model/${OTHER_MODEL}`,
    });
    if (someProfile) {
      const geography = someProfile.split('.')[0];
      deny(role, 'no model the stage does not name, through any profile', {
        action: 'bedrock:InvokeModelWithResponseStream',
        resource: `arn:aws:bedrock:${region}:${account}:inference-profile/${geography}.${OTHER_MODEL}`,
      });
    }

    function modelExpectations(id: string, noModelAccess: boolean, guardrailIdentifier?: string) {
      const [geography, ...rest] = id.split('.');
      const modelId = rest.join('.');
      const profileArn = `arn:aws:bedrock:${region}:${account}:inference-profile/${id}`;
      const model = (at: string) => `arn:aws:bedrock:${at}::foundation-model/${modelId}`;
      const viaProfile = {
        'bedrock:InferenceProfileArn': profileArn,
        ...(guardrailIdentifier ? { 'bedrock:GuardrailIdentifier': guardrailIdentifier } : {}),
      };
      const invoke = 'bedrock:InvokeModelWithResponseStream';
      const grant = (why: string, call: Call) =>
        noModelAccess ? deny(role as SimulatedRole, `${why}: but callers sign, the role holds none`, call) : allow(role as SimulatedRole, why, call);
      grant(`ConverseStream through the stage's profile ${id}`, { action: invoke, resource: profileArn, context: viaProfile });
      grant('the profile serves it from the caller region', { action: invoke, resource: model(region), context: viaProfile });
      if (geography === 'global') {
        grant('the global profile serves it from outside the geography (no region)', {
          action: invoke,
          resource: model(''),
          context: { ...viaProfile, 'aws:RequestedRegion': 'unspecified' },
        });
        deny(role as SimulatedRole, 'the region-less model ARN only for requests routed by the profile', {
          action: invoke,
          resource: model(''),
          context: { 'aws:RequestedRegion': 'unspecified' },
        });
      } else {
        grant(`the ${geography} profile serves it from another region of its geography`, {
          action: invoke,
          resource: model(OTHER_DESTINATION[geography]),
          context: viaProfile,
        });
        deny(role as SimulatedRole, 'not in a region outside the profile geography', {
          action: invoke,
          resource: model(FOREIGN_REGION[geography]),
          context: viaProfile,
        });
      }
      deny(role as SimulatedRole, 'the foundation model only through the profile (bedrock:InferenceProfileArn)', {
        action: invoke,
        resource: model(region),
      });
      deny(role as SimulatedRole, 'not through a profile of another account', {
        action: invoke,
        resource: model(region),
        context: { 'bedrock:InferenceProfileArn': profileArn.replace(account, OTHER_ACCOUNT) },
      });
      deny(role as SimulatedRole, 'streaming only: no InvokeModel/Converse', { action: 'bedrock:InvokeModel', resource: profileArn });
      if (guardrailIdentifier) {
        deny(role as SimulatedRole, 'the guardrail is enforced: no model call without it', {
          action: invoke,
          resource: profileArn,
          context: { 'bedrock:InferenceProfileArn': profileArn },
        });
      }
    }
  }

  // A knowledge base's service role: what the knowledge base reads and writes.
  for (const [kbId, kb] of resourcesOfType(stack, 'AWS::Bedrock::KnowledgeBase')) {
    const roleId = getAttOf(kb.Properties?.RoleArn);
    const role = roleByLogicalId.get(roleId);
    if (!role) continue;
    explained.add(role.logicalId);
    const config = resolved<{
      KnowledgeBaseConfiguration: { VectorKnowledgeBaseConfiguration: { EmbeddingModelArn: string } };
      StorageConfiguration: { S3VectorsConfiguration?: { IndexArn: string } };
    }>(stack, kb.Properties);
    const kbArnHere = resolved<string>(stack, { 'Fn::GetAtt': [kbId, 'KnowledgeBaseArn'] });
    allow(role, 'Bedrock assumes it for this account', {
      action: 'sts:AssumeRole',
      resource: role.arn,
      principal: 'bedrock.amazonaws.com',
      context: { 'aws:SourceAccount': account, 'aws:SourceArn': kbArnHere },
    });
    deny(role, 'not for a knowledge base of another account (confused deputy)', {
      action: 'sts:AssumeRole',
      resource: role.arn,
      principal: 'bedrock.amazonaws.com',
      context: { 'aws:SourceAccount': OTHER_ACCOUNT, 'aws:SourceArn': kbArnHere.replace(account, OTHER_ACCOUNT) },
    });
    deny(role, 'not by Lambda', { action: 'sts:AssumeRole', resource: role.arn, principal: 'lambda.amazonaws.com' });
    neverAnywhere(role);
    const embedding = config.KnowledgeBaseConfiguration.VectorKnowledgeBaseConfiguration.EmbeddingModelArn;
    allow(role, 'it embeds with its embedding model', { action: 'bedrock:InvokeModel', resource: embedding });
    deny(role, 'no other model', { action: 'bedrock:InvokeModel', resource: `arn:aws:bedrock:${region}::foundation-model/${OTHER_MODEL}` });
    deny(role, 'no chat model streaming', { action: 'bedrock:InvokeModelWithResponseStream', resource: embedding });
    const index = config.StorageConfiguration.S3VectorsConfiguration?.IndexArn;
    if (index) {
      for (const action of ['s3vectors:PutVectors', 's3vectors:QueryVectors', 's3vectors:GetVectors', 's3vectors:DeleteVectors']) {
        allow(role, 'it writes and queries its vector index', { action, resource: index });
      }
      deny(role, 'never the index itself', { action: 's3vectors:DeleteIndex', resource: index });
    }
    for (const [, source] of resourcesOfType(stack, 'AWS::Bedrock::DataSource')) {
      const s3Template = (source.Properties?.DataSourceConfiguration as { S3Configuration?: { BucketArn: unknown } } | undefined)?.S3Configuration;
      if (!s3Template) continue;
      const s3 = resolved<{ BucketArn: string; InclusionPrefixes?: string[] }>(stack, s3Template);
      const prefix = s3.InclusionPrefixes?.[0] ?? '';
      allow(role, 'it reads the published documents', { action: 's3:GetObject', resource: `${s3.BucketArn}/${prefix}handbook.pdf` });
      allow(role, 'it lists the published prefix', {
        action: 's3:ListBucket',
        resource: s3.BucketArn,
        context: { 's3:prefix': `${prefix}handbook` },
      });
      if (prefix) {
        deny(role, 'nothing outside the published prefix', { action: 's3:GetObject', resource: `${s3.BucketArn}/drafts/handbook.pdf` });
        deny(role, 'no listing outside the published prefix', {
          action: 's3:ListBucket',
          resource: s3.BucketArn,
          context: { 's3:prefix': 'drafts/' },
        });
      }
      deny(role, 'it never writes documents', { action: 's3:PutObject', resource: `${s3.BucketArn}/${prefix}handbook.pdf` });
      deny(role, 'or deletes them', { action: 's3:DeleteObject', resource: `${s3.BucketArn}/${prefix}handbook.pdf` });
      const bucketId = getAttOf(s3Template.BucketArn);
      const encryption = stack.template.Resources[bucketId]?.Properties?.BucketEncryption as
        | { ServerSideEncryptionConfiguration: { ServerSideEncryptionByDefault: { KMSMasterKeyID?: unknown } }[] }
        | undefined;
      const key = encryption?.ServerSideEncryptionConfiguration[0]?.ServerSideEncryptionByDefault.KMSMasterKeyID;
      if (key) allow(role, 'the documents are encrypted with their own key', { action: 'kms:Decrypt', resource: resolved(stack, key) });
    }
  }

  // The identity pool's roles: guests may invoke one Function URL; signed-in identities get nothing here.
  for (const [, attachment] of resourcesOfType(stack, 'AWS::Cognito::IdentityPoolRoleAttachment')) {
    const poolId = resolved<string>(stack, attachment.Properties?.IdentityPoolId);
    const attached = (attachment.Properties?.Roles ?? {}) as Record<string, { 'Fn::GetAtt': [string, string] }>;
    for (const [kind, arn] of Object.entries(attached)) {
      const role = roleByLogicalId.get(arn['Fn::GetAtt'][0]);
      if (!role) continue;
      explained.add(role.logicalId);
      const webIdentity = (amr: string, aud = poolId): Call => ({
        action: 'sts:AssumeRoleWithWebIdentity',
        resource: role.arn,
        principal: 'cognito-identity.amazonaws.com',
        context: { 'cognito-identity.amazonaws.com:aud': aud, 'cognito-identity.amazonaws.com:amr': [amr] },
      });
      allow(role, `identities of its pool assume the ${kind} role`, webIdentity(kind));
      deny(role, 'not identities of the other kind', webIdentity(kind === 'unauthenticated' ? 'authenticated' : 'unauthenticated'));
      deny(role, 'not identities of another pool', webIdentity(kind, `${region}:00000000-0000-4000-8000-000000000000`));
      neverAnywhere(role);
      const chatFunctions = resourcesOfType(stack, 'AWS::Lambda::Function').filter(
        ([, f]) => ENV.authMode in ((f.Properties?.Environment as { Variables?: object })?.Variables ?? {}),
      );
      for (const [functionId, fn] of chatFunctions) {
        const functionArn = resolved<string>(stack, { 'Fn::GetAtt': [functionId, 'Arn'] });
        const guestRoles =
          resolved<Env>(stack, (fn.Properties?.Environment as { Variables?: object } | undefined)?.Variables ?? {})[ENV.guestRoleArns] ?? '';
        const invokes = kind === 'unauthenticated' && guestRoles.split(',').includes(role.arn);
        const url = { action: 'lambda:InvokeFunctionUrl', resource: functionArn, context: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } };
        const viaUrl = { action: 'lambda:InvokeFunction', resource: functionArn, context: { 'lambda:InvokedViaFunctionUrl': 'true' } };
        if (invokes) {
          allow(role, "guests call the chat's Function URL (SigV4)", url);
          allow(role, 'which invokes the function through the URL', viaUrl);
          deny(role, 'never the function directly', {
            action: 'lambda:InvokeFunction',
            resource: functionArn,
            context: { 'lambda:InvokedViaFunctionUrl': 'false' },
          });
          deny(role, 'never a URL without IAM auth', { ...url, context: { 'lambda:FunctionUrlAuthType': 'NONE' } });
        } else {
          deny(role, `the ${kind} role calls no chat`, url);
        }
        deny(role, 'no other function', { ...url, resource: `arn:aws:lambda:${region}:${account}:function:other` });
      }
    }
  }

  // aws-cdk-lib's own helper functions (the page's deployment): never anything of the chat's.
  for (const role of roles) {
    if (explained.has(role.logicalId) || !role.logicalId.startsWith('CustomCDKBucketDeployment')) continue;
    explained.add(role.logicalId);
    lambdaTrust(role);
    neverAnywhere(role);
  }
  return { expectations, unexplained: roles.filter((r) => !explained.has(r.logicalId)) };
}

/** The ARN of the customer managed key of the table named `name` in `stack`, if it has one. */
function tableKey(stack: StackTemplate, name: string): string | undefined {
  for (const [tableId, table] of resourcesOfType(stack, 'AWS::DynamoDB::GlobalTable')) {
    if (resolved(stack, { Ref: tableId }) !== name) continue;
    const replicas = (table.Properties?.Replicas ?? []) as { SSESpecification?: { KMSMasterKeyId?: unknown } }[];
    const key = replicas[0]?.SSESpecification?.KMSMasterKeyId;
    return key === undefined ? undefined : resolved<string>(stack, key);
  }
  return undefined;
}
