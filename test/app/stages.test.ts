import { Match, Template } from 'aws-cdk-lib/assertions';
import { parseStageConfigs } from '../../lib/config/stage-config';
import { buildProjectApp, projectContext } from '../support/cdk-app';

const { stages } = buildProjectApp({ securityChecks: false });
const configs = parseStageConfigs(projectContext.stages);

describe.each(stages.map((stage) => [stage.stageName, stage] as const))('stage %s', (name, stage) => {
  const config = configs.find((c) => c.name === name)!;
  const template = Template.fromStack(stage.streamingChat);

  const stacks = { StreamingChat: stage.streamingChat, JwtChat: stage.jwtChat, GuestRagChat: stage.guestRag };
  const templates = Object.fromEntries(Object.entries(stacks).map(([id, stack]) => [id, Template.fromStack(stack)]));

  test('is a CDK Stage holding its stacks, so `cdk deploy <stage>/*` deploys one environment', () => {
    for (const [id, stack] of Object.entries(stacks)) {
      expect(stack.stackName).toBe(`${name}-${id}`);
      expect(stack.region).toBe(config.region);
    }
  });

  test.each(Object.keys(stacks))('%s: log retention and reserved concurrency follow the stage', (id) => {
    templates[id].allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: config.logRetention });
    templates[id].allResourcesProperties('AWS::Lambda::Function', { ReservedConcurrentExecutions: config.reservedConcurrency });
  });

  test.each(Object.keys(stacks))('%s: stateful resources follow the stage removal policy', (id) => {
    const policy = config.removalPolicy === 'retain' ? 'Retain' : 'Delete';
    for (const type of ['AWS::DynamoDB::GlobalTable', 'AWS::Logs::LogGroup', 'AWS::KMS::Key', 'AWS::S3::Bucket', 'AWS::Cognito::UserPool']) {
      for (const resource of Object.values(templates[id].findResources(type))) {
        expect({ type, DeletionPolicy: resource.DeletionPolicy }).toEqual({ type, DeletionPolicy: policy });
      }
    }
  });

  test('the JWT chat URL is public (NONE), the guest RAG chat URL needs SigV4', () => {
    templates.JwtChat.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'NONE', InvokeMode: 'RESPONSE_STREAM' });
    templates.GuestRagChat.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'AWS_IAM', InvokeMode: 'RESPONSE_STREAM' });
  });

  test('the rate limit, fail mode, CORS origins and model aliases follow the stage', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          CHAT_MODELS: JSON.stringify(config.models),
          RATE_LIMIT_PER_MINUTE: String(config.requestsPerMinute),
          RATE_LIMIT_FAIL_OPEN: String(config.rateLimitFailOpen),
        }),
      },
    });
    template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'AWS_IAM', InvokeMode: 'RESPONSE_STREAM', Cors: Match.objectLike({ AllowOrigins: config.corsAllowedOrigins }) });
  });

  test.each(Object.keys(stacks))('%s matches the snapshot', (id) => {
    expect(templates[id].toJSON()).toMatchSnapshot();
  });
});
