#!/usr/bin/env node
import { recordAssembly, restoreAssembly, templatesMayDiffer } from '../tools/synth/assembly-cache';
import { ValidationWorker } from '../tools/synth/validation-worker';

// The assembly of a synthesis that passed every gate from exactly these sources, bundles, dependencies and context
// is written as it was (tools/synth/assembly-cache.ts), before aws-cdk-lib or any construct is loaded; anything
// else builds, checks and synthesizes the whole app, and a synthesis that passed is recorded.
if (!restoreAssembly()) {
  // The CloudFormation validation engine (~3 s of CPU to start) starts now in a worker thread, on the other core,
  // while aws-cdk-lib loads and the stages are built: unless aws-cdk-lib's validation is off, or only comments or
  // types changed since the last synthesis (its templates all passed: the engine would not be used).
  const worker = process.env.CDK_VALIDATION !== 'false' && templatesMayDiffer() ? ValidationWorker.start() : undefined;
  try {
    const { synthesizeChatApp } = require('./chat-app') as typeof import('./chat-app');
    recordAssembly(synthesizeChatApp({ worker }).node.findAll());
  } finally {
    worker?.stop();
  }
}
