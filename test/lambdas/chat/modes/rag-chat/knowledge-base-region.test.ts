/**
 * `KNOWLEDGE_BASE_REGION`: a knowledge base imported from another region is searched there (the Retrieve
 * request is signed for its region), while the model is called in the function's region.
 */

import { postChat, TEST_REGION } from '../../../../support/local-services';
import { useLogCapture } from '../../../../support/log-capture';
import { type RagStack, startRagChatStack } from '../../../../support/rag-services';

useLogCapture();
let stack: RagStack;

afterEach(() => stack.close());

/** The region an emulator request was signed for (SigV4 credential scope). */
function signedRegion(stack: RagStack, operation: string): string | undefined {
  const request = stack.emulator.requests.find((r) => r.operation === operation);
  return /Credential=[^/]+\/\d{8}\/([a-z0-9-]+)\//.exec(String(request?.headers.authorization))?.[1];
}

test('set: Retrieve goes to the knowledge base region, ConverseStream to the function region', async () => {
  stack = await startRagChatStack({ knowledgeBaseRegion: 'us-east-1', emulator: { tokenDelayMs: 1 } });
  expect((await postChat(stack.url, { message: 'When is support open?' })).status).toBe(200);
  expect(signedRegion(stack, 'Retrieve')).toBe('us-east-1');
  expect(signedRegion(stack, 'ConverseStream')).toBe(TEST_REGION);
});

test("unset: Retrieve goes to the function's region", async () => {
  stack = await startRagChatStack({ emulator: { tokenDelayMs: 1 } });
  expect((await postChat(stack.url, { message: 'When is support open?' })).status).toBe(200);
  expect(signedRegion(stack, 'Retrieve')).toBe(TEST_REGION);
});
