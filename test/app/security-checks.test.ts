import { buildProjectApp, projectContext } from '../support/cdk-app';
import { chatWebsiteAcknowledgements, describeAcknowledgements, expectNoUnacknowledgedFindings, knowledgeBaseAcknowledgements } from '../support/nag';

/** The whole app with the cdk-nag packs; its tests share one synthesis (test/support/nag.ts). */
const buildApp = () => buildProjectApp();

/**
 * Every cdk-nag acknowledgement in the app, by construct path and finding. A new one must be added
 * here on purpose, with its reason reviewed in the code that makes it.
 */
const CHAT_FUNCTION = (chat: string) => [
  [`${chat}/ServiceRole/Policy`, 'AwsSolutions-IAM5[Resource::*]'],
  [`${chat}/Resource`, 'Serverless-LambdaDLQ'],
  [`${chat}/Resource`, 'NIST.800.53.R5-LambdaDLQ'],
  [`${chat}/Resource`, 'HIPAA.Security-LambdaDLQ'],
  [`${chat}/Resource`, 'NIST.800.53.R4-LambdaInsideVPC'],
  [`${chat}/Resource`, 'NIST.800.53.R5-LambdaInsideVPC'],
  [`${chat}/Resource`, 'HIPAA.Security-LambdaInsideVPC'],
  [`${chat}/Resource`, 'PCI.DSS.321-LambdaInsideVPC'],
];
const PUBLIC_URL = (chat: string) =>
  ['invoke-function-url', 'invoke-function'].flatMap((permission) => [
    [`${chat}/Resource/${permission}`, 'NIST.800.53.R4-LambdaFunctionPublicAccessProhibited'],
    [`${chat}/Resource/${permission}`, 'NIST.800.53.R5-LambdaFunctionPublicAccessProhibited'],
    [`${chat}/Resource/${permission}`, 'HIPAA.Security-LambdaFunctionPublicAccessProhibited'],
    [`${chat}/Resource/${permission}`, 'PCI.DSS.321-LambdaFunctionPublicAccessProhibited'],
  ]);
const KNOWLEDGE_BASE = (kb: string) => knowledgeBaseAcknowledgements(kb, 'Resource::<KnowledgeDocumentsA67F310A.Arn>/published/*');
/** The event source mapping's id names the queue by its unique id (aws-cdk-lib's SqsEventSource). */
const SYNC_QUEUE_HASH: Record<string, string> = { dev: 'E7A2D0DE', staging: 'B3F7FF06', prod: '74787678' };
const KNOWLEDGE_BASE_SYNC = (sync: string, queueLogicalId: string) => [
  [`${sync}/ServiceRole/Policy`, 'AwsSolutions-IAM5[Resource::*]'],
  [`${sync}/Function`, 'Serverless-LambdaDLQ'],
  [`${sync}/Function`, 'NIST.800.53.R5-LambdaDLQ'],
  [`${sync}/Function`, 'HIPAA.Security-LambdaDLQ'],
  [`${sync}/Function`, 'NIST.800.53.R4-LambdaInsideVPC'],
  [`${sync}/Function`, 'NIST.800.53.R5-LambdaInsideVPC'],
  [`${sync}/Function`, 'HIPAA.Security-LambdaInsideVPC'],
  [`${sync}/Function`, 'PCI.DSS.321-LambdaInsideVPC'],
  [`${sync}/DeadLetterQueue`, 'Serverless-SQSRedrivePolicy'],
  [`${sync}/Function/SqsEventSource:${queueLogicalId}/Resource`, 'Serverless-LambdaEventSourceMappingDestination'],
];
const EXPECTED_ACKNOWLEDGEMENTS = ['dev', 'staging', 'prod'].flatMap((stage) => [
  ...CHAT_FUNCTION(`${stage}/StreamingChat/Chat`),
  ...CHAT_FUNCTION(`${stage}/JwtChat/Chat`),
  ...PUBLIC_URL(`${stage}/JwtChat/Chat`),
  [`${stage}/JwtChat/Chat/Resource`, 'BedrockChat-PublicEndpointGuardrail'],
  ...CHAT_FUNCTION(`${stage}/GuestRagChat/Chat`),
  ...KNOWLEDGE_BASE(`${stage}/GuestRagChat/Knowledge`),
  ...KNOWLEDGE_BASE_SYNC(`${stage}/GuestRagChat/Sync`, `${stage}GuestRagChatSyncQueue${SYNC_QUEUE_HASH[stage]}`),
  [`${stage}/GuestRagChat/Guests/Resource`, 'AwsSolutions-COG7'],
  // The chat on its callers' own credentials, in the stages that name it: a public URL like the JWT chat's.
  ...((projectContext.stages as Record<string, { callerCredentialsChat?: object }>)[stage].callerCredentialsChat
    ? [...CHAT_FUNCTION(`${stage}/CallerCredentialsChat/Chat`), ...PUBLIC_URL(`${stage}/CallerCredentialsChat/Chat`)]
    : []),
  // The OpenAI-compatible API, in the stages that name `chatCompletions`: a public URL (API keys, checked by the function).
  ...((projectContext.stages as Record<string, { chatCompletions?: object }>)[stage].chatCompletions
    ? [
        ...CHAT_FUNCTION(`${stage}/ChatCompletions/Completions/Function`),
        ...PUBLIC_URL(`${stage}/ChatCompletions/Completions/Function`),
        [`${stage}/ChatCompletions/Completions/Function/Resource`, 'BedrockChat-PublicEndpointGuardrail'],
      ]
    : []),
  // The chat page, in the stages that name `website` (without a firewall: CFR2 is acknowledged there).
  ...((projectContext.stages as Record<string, { website?: object }>)[stage].website
    ? chatWebsiteAcknowledgements(
        `${stage}/ChatWebsite/Website`,
        'WebsiteBucket4326D7C2',
        'arn:aws:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-us-east-1',
        false,
      )
    : []),
]);

describe('cdk-nag: AwsSolutions, Serverless, NIST 800-53 R4 and R5, HIPAA Security and PCI DSS 3.2.1 over every stage', () => {
  test('the whole app synthesizes with zero unacknowledged findings', () => {
    expectNoUnacknowledgedFindings(buildApp);
  });

  describeAcknowledgements(buildApp, () => EXPECTED_ACKNOWLEDGEMENTS);
});
