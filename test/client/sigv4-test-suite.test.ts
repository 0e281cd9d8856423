/**
 * aws4fetch's signer against AWS's published "Signature Version 4 test suite": the same credentials, time,
 * region and service give exactly the published Authorization header. Vectors as published in
 * awslabs/aws-c-auth `tests/aws-signing-test-suite/v4/<name>/header-signed-request.txt` (and `context.json`
 * for the session token): credentials AKIDEXAMPLE / wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, 2015-08-30T12:36:00Z,
 * region us-east-1, service `service`, host example.amazonaws.com.
 */
import { AwsV4Signer } from 'aws4fetch';

const SUITE = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  datetime: '20150830T123600Z',
  region: 'us-east-1',
  service: 'service',
};
const SCOPE = 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request';

test.each<[string, string, string, string | undefined, string]>([
  [
    'get-vanilla',
    'GET',
    'https://example.amazonaws.com/',
    undefined,
    `${SCOPE}, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31`,
  ],
  [
    'post-vanilla',
    'POST',
    'https://example.amazonaws.com/',
    undefined,
    `${SCOPE}, SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b`,
  ],
  [
    'get-vanilla-query-order-key-case',
    'GET',
    'https://example.amazonaws.com/?Param2=value2&Param1=value1',
    undefined,
    `${SCOPE}, SignedHeaders=host;x-amz-date, Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500`,
  ],
  [
    'get-vanilla-with-session-token',
    'GET',
    'https://example.amazonaws.com/',
    '6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267',
    `${SCOPE}, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8`,
  ],
])('%s: the published Authorization header', async (_name, method, url, sessionToken, authorization) => {
  const signed = await new AwsV4Signer({ ...SUITE, method, url, ...(sessionToken ? { sessionToken } : {}) }).sign();
  expect(signed.headers.get('authorization')).toBe(authorization);
  expect(signed.headers.get('x-amz-date')).toBe('20150830T123600Z');
  if (sessionToken) expect(signed.headers.get('x-amz-security-token')).toBe(sessionToken);
});

test('a changed secret, time, region or service changes the signature (the vectors are not matched by accident)', async () => {
  const base = { method: 'GET', url: 'https://example.amazonaws.com/' };
  const reference = (await new AwsV4Signer({ ...SUITE, ...base }).sign()).headers.get('authorization');
  for (const change of [{ secretAccessKey: 'other' }, { datetime: '20150830T123601Z' }, { region: 'eu-west-1' }, { service: 'lambda' }]) {
    expect((await new AwsV4Signer({ ...SUITE, ...base, ...change }).sign()).headers.get('authorization')).not.toBe(reference);
  }
});
