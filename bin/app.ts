#!/usr/bin/env node
import { recordAssembly, restoreAssembly } from '../tools/synth/assembly-cache';

// The assembly of a synthesis that passed every gate from exactly these sources, bundles, dependencies and context
// is written as it was (tools/synth/assembly-cache.ts), before aws-cdk-lib or any construct is loaded; anything
// else builds, checks and synthesizes the whole app, and a synthesis that passed is recorded.
if (!restoreAssembly()) {
  const { synthesizeChatApp } = require('./chat-app') as typeof import('./chat-app');
  recordAssembly(synthesizeChatApp().node.findAll());
}
