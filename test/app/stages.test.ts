import { Match, Template } from 'aws-cdk-lib/assertions';
import { parseStageConfigs } from '../../lib/config/stage-config';
import { buildProjectApp, projectContext } from '../support/cdk-app';

const { stages } = buildProjectApp({ securityChecks: false });
const configs = parseStageConfigs(projectContext.stages);

describe.each(stages.map((stage) => [stage.stageName, stage] as const))('stage %s', (name, stage) => {
  const config = configs.find((c) => c.name === name)!;
  const template = Template.fromStack(stage.streamingChat);

  test('is a CDK Stage holding its stacks, so `cdk deploy <stage>/*` deploys one environment', () => {
    expect(stage.streamingChat.stackName).toBe(`${name}-StreamingChat`);
    expect(stage.streamingChat.region).toBe(config.region);
  });

  test('log retention and reserved concurrency follow the stage', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: config.logRetention });
    template.hasResourceProperties('AWS::Lambda::Function', { ReservedConcurrentExecutions: config.reservedConcurrency });
  });

  test('stateful resources follow the stage removal policy', () => {
    const policy = config.removalPolicy === 'retain' ? 'Retain' : 'Delete';
    for (const type of ['AWS::DynamoDB::GlobalTable', 'AWS::Logs::LogGroup', 'AWS::KMS::Key']) {
      template.hasResource(type, { DeletionPolicy: policy, UpdateReplacePolicy: policy });
    }
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

  test('matches the snapshot', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });
});
