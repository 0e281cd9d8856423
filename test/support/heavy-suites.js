/**
 * The suites that take longest from a fresh clone's state (no jest timings, no validation cache), roughly longest
 * first: test/support/test-sequencer.js starts them before the others until jest has timings of its own. Paths are
 * relative to test/; test/tools/jest-projects.test.ts fails when one names no suite. The seconds are each suite's
 * wall time in a fresh `npm test` in jest's own order (2 workers, load 2.8 to 5.1); the order matters, not the figures.
 */
const HEAVY_SUITES = [
  'app/stages.test.ts', // 16.0 s
  // Mostly waiting (five deadline cases, a rate-limit minute): it leaves its core to the other worker meanwhile, and
  // the next suite, template-gates, then finds the templates stages validated recorded as passed.
  'lambdas/chat/faults.test.ts', // 20.5 s
  'app/template-gates.test.ts', // 18.1 s
  'lambdas/chat/request-properties.test.ts', // 14.1 s
  'lib/constructs/chat-website-nag.test.ts', // 11.3 s
  'tools/local/cli.test.ts', // 9.4 s
  'lib/constructs/chat-monitoring-backends.test.ts', // 9.0 s
  'app/security-checks.test.ts', // 8.4 s
  'lib/constructs/guest-rag-nag.test.ts', // 8.0 s
  'lib/constructs/chat-monitoring.test.ts', // 7.2 s
  'lib/constructs/bedrock-access-nag.test.ts', // 7.1 s
  'tools/synth/validation-worker.test.ts', // 6.6 s
  'lambdas/chat/modes/completions/guardrail-e2e.test.ts', // 6.4 s
  'lambdas/chat/modes/stored-chat/auth.test.ts', // 6.4 s
  'lambdas/chat/modes/stored-chat/chats.test.ts', // 6.2 s
];

module.exports = { HEAVY_SUITES };
