/**
 * The suites of jest's integration project (jest.config.js), as path patterns: suites that start local services
 * (dynalite, the emulators, the Function-URL server), run CLIs or builds in child processes, or synthesize whole
 * stages with cdk-nag. Every other suite is a unit suite. test/tools/jest-projects.test.ts checks the list.
 */
const INTEGRATION = [
  // Whole-app synthesis with the cdk-nag packs, cdk-nag over constructs; the built package in a consumer app.
  '/test/app/',
  '/test/package\\.test\\.ts$',
  '/test/lib/constructs/[\\w-]+-nag\\.test\\.ts$',
  // The bundles built and run under the runtime; the page bundle built and checked.
  '/test/lambdas/bundles\\.test\\.ts$',
  '/test/web/(guest-credentials|page-source)\\.test\\.ts$',
  // Runtime against dynalite, the Bedrock emulator, the local token issuer and the Function-URL server.
  '/test/lambdas/chat/access/bedrock-access\\.test\\.ts$',
  '/test/lambdas/chat/auth/(api-key-cache|remote-key-set)\\.test\\.ts$',
  '/test/lambdas/chat/budgets/(backends|failed-answers)\\.test\\.ts$',
  '/test/lambdas/chat/diagnostics\\.test\\.ts$',
  '/test/lambdas/chat/chats/chat-store\\.test\\.ts$',
  '/test/lambdas/chat/aws/(bedrock-connections|https-caller)\\.test\\.ts$',
  '/test/lambdas/chat/limits/rate-limiter\\.test\\.ts$',
  '/test/lambdas/chat/modes/completions/(openai-client|guardrail-e2e)\\.test\\.ts$',
  '/test/lambdas/chat/modes/model-chat/(address-limit|dynamodb-down|errors|jwt-auth|rate-limit|streaming)\\.test\\.ts$',
  '/test/lambdas/chat/modes/agent-chat/agent-chat\\.test\\.ts$',
  '/test/lambdas/chat/modes/rag-chat/(errors|grounding-e2e|jwt-auth|knowledge-base-region|rag-chat)\\.test\\.ts$',
  '/test/lambdas/chat/modes/stored-chat/(agent|auth|budgets|chats)\\.test\\.ts$',
  '/test/lambdas/chat/guardrail\\.test\\.ts$',
  '/test/lambdas/chat/faults\\.test\\.ts$',
  '/test/lib/constructs/chat-monitoring(-backends)?\\.test\\.ts$',
  // The knowledge base sync step and `npm run kb` against the Bedrock Agent control-plane stand-in.
  '/test/lambdas/knowledge-base-sync/sync\\.test\\.ts$',
  '/test/tools/kb-cli\\.test\\.ts$',
  // The guest client against the local Cognito/STS stand-in and chat server.
  '/test/client/guest-(chat-client|credentials)\\.test\\.ts$',
  // The local tools: emulators and servers over HTTP, the CLIs and the cdk CLI in child processes.
  '/test/tools/local/(agent-runtime-emulator|bedrock-emulator|bedrock-emulator-auth|bedrock-emulator-content|bedrock-emulator-grounding|cli|function-url-server|openai-mode|sign-in-stand-in)\\.test\\.ts$',
  '/test/tools/synth-command\\.test\\.ts$',
  // aws-cdk-lib's CloudFormation validation engine started in a worker thread, against the same engine in this one.
  '/test/tools/synth/validation-worker\\.test\\.ts$',
  '/test/tools/keys/keys-cli\\.test\\.ts$',
];

module.exports = { INTEGRATION };
