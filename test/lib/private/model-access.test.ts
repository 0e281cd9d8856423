import { BedrockModel } from '../../../lib/bedrock/bedrock-model';
import { BEDROCK_ACTIONS, modelAccessStatements } from '../../../lib/private/model-access';

const ACCOUNT = '123456789012';
const scopeIn = (region: string) => ({ partition: 'aws', region, account: ACCOUNT });
const STREAM = [BEDROCK_ACTIONS.converseStream];
const HAIKU = 'anthropic.claude-haiku-4-5-20251001-v1:0';

function json(model: BedrockModel, region: string) {
  return modelAccessStatements(model._target, STREAM, scopeIn(region)).map((s) => s.toStatementJson());
}

describe('modelAccessStatements', () => {
  test('a foundation model: that model in the stack region, nothing else', () => {
    expect(json(BedrockModel.foundationModel('amazon.nova-lite-v1:0'), 'eu-west-1')).toEqual([
      {
        Action: 'bedrock:InvokeModelWithResponseStream',
        Effect: 'Allow',
        Resource: 'arn:aws:bedrock:eu-west-1::foundation-model/amazon.nova-lite-v1:0',
      },
    ]);
  });

  test.each([
    ['us', 'us-east-1', ['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2']],
    ['eu', 'eu-west-1', ['eu-central-1', 'eu-central-2', 'eu-north-1', 'eu-south-1', 'eu-south-2', 'eu-west-1', 'eu-west-2', 'eu-west-3']],
    [
      'apac',
      'ap-southeast-1',
      [
        'ap-east-2',
        'ap-northeast-1',
        'ap-northeast-2',
        'ap-northeast-3',
        'ap-south-1',
        'ap-south-2',
        'ap-southeast-1',
        'ap-southeast-2',
        'ap-southeast-3',
        'ap-southeast-4',
        'ap-southeast-5',
        'ap-southeast-7',
        'me-central-1',
      ],
    ],
    ['jp', 'ap-northeast-1', ['ap-northeast-1', 'ap-northeast-3']],
    ['au', 'ap-southeast-2', ['ap-southeast-2', 'ap-southeast-4']],
    ['ca', 'ca-central-1', ['ca-central-1', 'ca-west-1']],
  ])('a %s. profile: the profile in %s and the model in each destination region, only through the profile', (geo, region, destinations) => {
    const profileArn = `arn:aws:bedrock:${region}:${ACCOUNT}:inference-profile/${geo}.${HAIKU}`;
    expect(json(BedrockModel.inferenceProfile(`${geo}.${HAIKU}`), region)).toEqual([
      { Action: 'bedrock:InvokeModelWithResponseStream', Effect: 'Allow', Resource: profileArn },
      {
        Action: 'bedrock:InvokeModelWithResponseStream',
        Effect: 'Allow',
        Resource: destinations.map((r) => `arn:aws:bedrock:${r}::foundation-model/${HAIKU}`),
        Condition: { StringEquals: { 'bedrock:InferenceProfileArn': profileArn } },
      },
    ]);
  });

  test('a us-gov. profile uses the GovCloud partition and regions', () => {
    const statements = modelAccessStatements(BedrockModel.inferenceProfile(`us-gov.${HAIKU}`)._target, STREAM, {
      partition: 'aws-us-gov',
      region: 'us-gov-west-1',
      account: ACCOUNT,
    }).map((s) => s.toStatementJson());
    expect(statements[0].Resource).toBe(`arn:aws-us-gov:bedrock:us-gov-west-1:${ACCOUNT}:inference-profile/us-gov.${HAIKU}`);
    expect(statements[1].Resource).toEqual([
      `arn:aws-us-gov:bedrock:us-gov-east-1::foundation-model/${HAIKU}`,
      `arn:aws-us-gov:bedrock:us-gov-west-1::foundation-model/${HAIKU}`,
    ]);
  });

  test('a global. profile: the profile, the model in the stack region, and the region-less model ARN for requests routed anywhere', () => {
    const profileArn = `arn:aws:bedrock:us-east-1:${ACCOUNT}:inference-profile/global.${HAIKU}`;
    expect(json(BedrockModel.inferenceProfile(`global.${HAIKU}`), 'us-east-1')).toEqual([
      { Action: 'bedrock:InvokeModelWithResponseStream', Effect: 'Allow', Resource: profileArn },
      {
        Action: 'bedrock:InvokeModelWithResponseStream',
        Effect: 'Allow',
        Resource: `arn:aws:bedrock:us-east-1::foundation-model/${HAIKU}`,
        Condition: { StringEquals: { 'bedrock:InferenceProfileArn': profileArn } },
      },
      {
        Action: 'bedrock:InvokeModelWithResponseStream',
        Effect: 'Allow',
        Resource: `arn:aws:bedrock:::foundation-model/${HAIKU}`,
        Condition: { StringEquals: { 'bedrock:InferenceProfileArn': profileArn, 'aws:RequestedRegion': 'unspecified' } },
      },
    ]);
  });

  test('destinationRegions narrows a geographic profile to the regions given', () => {
    const statements = json(BedrockModel.inferenceProfile(`us.${HAIKU}`, { destinationRegions: ['us-east-1', 'us-west-2'] }), 'us-east-1');
    expect(statements[1].Resource).toEqual([
      `arn:aws:bedrock:us-east-1::foundation-model/${HAIKU}`,
      `arn:aws:bedrock:us-west-2::foundation-model/${HAIKU}`,
    ]);
  });

  test('no statement uses a wildcard action or resource', () => {
    for (const id of [`global.${HAIKU}`, `us.${HAIKU}`, `eu.${HAIKU}`, 'amazon.nova-lite-v1:0']) {
      const region = id.startsWith('eu.') ? 'eu-west-1' : 'us-east-1';
      for (const statement of json(BedrockModel.fromId(id), region)) {
        expect(JSON.stringify(statement.Action)).not.toContain('*');
        expect(JSON.stringify(statement.Resource)).not.toContain('*');
      }
    }
  });

  test('a geographic profile called from a region outside its geography is rejected with the fix', () => {
    expect(() => json(BedrockModel.inferenceProfile(`eu.${HAIKU}`), 'us-east-1')).toThrow(
      /eu\.anthropic\.claude-haiku.*does not include this stack's region us-east-1/,
    );
  });
});

describe('BedrockModel', () => {
  test('fromId picks a profile for geography prefixes and a foundation model otherwise', () => {
    expect(BedrockModel.fromId(`apac.${HAIKU}`)).toMatchObject({ geography: 'apac', foundationModelId: HAIKU, invocationId: `apac.${HAIKU}` });
    expect(BedrockModel.fromId(`us-gov.${HAIKU}`)).toMatchObject({ geography: 'us-gov', foundationModelId: HAIKU });
    expect(BedrockModel.fromId(HAIKU)).toMatchObject({ geography: undefined, foundationModelId: HAIKU, isInferenceProfile: false });
  });

  test.each([
    ['an ARN', `arn:aws:bedrock:us-east-1::foundation-model/${HAIKU}`],
    ['an empty id', ''],
    ['a wildcard', 'anthropic.*'],
  ])('foundationModel rejects %s', (_what, id) => {
    expect(() => BedrockModel.foundationModel(id)).toThrow(/is not a foundation model id/);
  });

  test('foundationModel rejects a profile id and points to inferenceProfile', () => {
    expect(() => BedrockModel.foundationModel(`us.${HAIKU}`)).toThrow(/use BedrockModel.inferenceProfile/);
  });

  test('inferenceProfile rejects ids without a known geography, and bad destination regions', () => {
    expect(() => BedrockModel.inferenceProfile(HAIKU)).toThrow(/not a cross-region inference profile id/);
    expect(() => BedrockModel.inferenceProfile(`us.${HAIKU}`, { destinationRegions: [] })).toThrow(/destinationRegions/);
    expect(() => BedrockModel.inferenceProfile(`us.${HAIKU}`, { destinationRegions: ['*'] })).toThrow(/destinationRegions/);
  });
});
