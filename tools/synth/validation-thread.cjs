// The thread of tools/synth/validation-worker.ts: aws-cdk-lib's own CloudFormation validation, its engine started
// as soon as the thread is, so that the ~3 s of CPU it takes to start (with `--liftoff-only`) are spent while the
// app builds its stages.
const path = require('node:path');
const { setFlagsFromString } = require('node:v8');
const { workerData } = require('node:worker_threads');

const { port, signal } = workerData;

/**
 * Most of the engine's start (schemas and rule tables built inside the WebAssembly instance: ~2 s for the first
 * engine, ~1 s more on its first template) is shared by every engine of the instance; a second engine starts in
 * ~0.3 s. One engine that validates one small template and is freed pays it before any real template arrives;
 * aws-cdk-lib's plugin then builds its own engine with its own rules, exactly as it would in the app's thread.
 */
function startEngine() {
  // As in tools/synth/validation-cache.ts: the engine's code stays in V8's baseline WebAssembly compiler.
  setFlagsFromString('--liftoff-only');
  const cdkLib = path.dirname(require.resolve('aws-cdk-lib/package.json'));
  const { CompositeEngine, TemplateContent } = require(require.resolve('@aws/cloudformation-validate', { paths: [cdkLib] }));
  const engine = new CompositeEngine({});
  try {
    engine.validateTemplate(new TemplateContent('{"Resources":{"Queue":{"Type":"AWS::SQS::Queue"}}}', 'start.template.json'), {
      detailLevel: 'STANDARD',
      severityLevel: 'WARN',
    });
  } finally {
    engine.free();
  }
}

let plugin;
port.on('message', (context) => {
  let reply;
  try {
    plugin ??= new (require('aws-cdk-lib').CloudFormationValidatePlugin)();
    reply = { report: plugin.validate(context) };
  } catch (error) {
    reply = { error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
  }
  port.postMessage(reply);
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
});

try {
  startEngine();
} catch {
  // Nothing is lost: the plugin starts the engine itself on the first templates and reports what fails then.
}
