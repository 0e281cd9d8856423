import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { FUNCTION_URL_CORS } from '../../../contract';
import { functionUrlCors, stageCorsOrigins } from '../../../tools/local/stage-cors';

function cdkJson(stages: unknown): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'cdk-json-')), 'cdk.json');
  writeFileSync(file, JSON.stringify({ context: { stages } }));
  return file;
}

describe('the CORS npm run local applies', () => {
  test("a stage's corsAllowedOrigins come from cdk.json", () => {
    const file = cdkJson({ dev: { corsAllowedOrigins: ['http://localhost:5173'] }, prod: { corsAllowedOrigins: [] } });
    expect(stageCorsOrigins('dev', file)).toEqual(['http://localhost:5173']);
    expect(stageCorsOrigins('prod', file)).toEqual([]);
  });

  test('an unknown stage names the stages there are', () => {
    const file = cdkJson({ dev: {}, prod: {} });
    expect(() => stageCorsOrigins('qa', file)).toThrow('--stage qa: no such stage in cdk.json (stages: dev, prod)');
  });

  test('the methods and headers the construct gives the Function URL, by auth and kind of chat; no origins, no CORS', () => {
    expect(functionUrlCors('jwt', 'storedChats', ['https://chat.example.com'])).toEqual({
      allowOrigins: ['https://chat.example.com'],
      allowMethods: ['GET', 'POST', 'DELETE'],
      allowHeaders: FUNCTION_URL_CORS.allowHeaders.jwt,
      exposeHeaders: FUNCTION_URL_CORS.exposeHeaders,
      maxAgeSeconds: 600,
    });
    expect(functionUrlCors('iam', 'callerTurns', ['https://chat.example.com'])).toMatchObject({
      allowMethods: ['POST'],
      allowHeaders: expect.arrayContaining(['x-amz-security-token']),
    });
    expect(functionUrlCors('iam', 'callerTurns', [])).toBeUndefined();
  });
});
