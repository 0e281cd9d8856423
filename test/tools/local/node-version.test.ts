import { oldNodeNote } from '../../../tools/local/node-version';

const SWITCH = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';

describe("the AWS SDK's Node version warning in the local CLIs", () => {
  const saved = process.env[SWITCH];
  beforeEach(() => delete process.env[SWITCH]);
  afterAll(() => {
    if (saved === undefined) delete process.env[SWITCH];
    else process.env[SWITCH] = saved;
  });

  test('on Node 20: silenced through the SDK switch, one line to print instead', () => {
    expect(oldNodeNote('v20.20.2')).toMatch(/^v20\.20\.2 runs these tools; the AWS SDK supports it until January 2027/);
    expect(process.env[SWITCH]).toBe('true');
  });

  test('on Node 22 and 24: nothing printed, nothing silenced', () => {
    expect(oldNodeNote('v22.12.0')).toBeUndefined();
    expect(oldNodeNote('v24.1.0')).toBeUndefined();
    expect(process.env[SWITCH]).toBeUndefined();
  });
});
