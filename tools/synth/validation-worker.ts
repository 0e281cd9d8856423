import * as path from 'node:path';
import { MessageChannel, MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { IPolicyValidationContext, PolicyValidationPluginReport } from 'aws-cdk-lib';

/** Longer than validating every stage at any load measured here (~5 s of CPU): past it the thread is taken as lost. */
const REPLY_TIMEOUT_MS = 5 * 60_000;

/** What crosses to the thread: the templates' paths and environments (the construct tree stays in the app's thread). */
type ValidationRequest = Pick<IPolicyValidationContext, 'stackTemplates' | 'templatePaths'>;

type ValidationReply = { readonly report: PolicyValidationPluginReport } | { readonly error: string };

/**
 * aws-cdk-lib's CloudFormation validation (`CloudFormationValidatePlugin`, the `@aws/cloudformation-validate`
 * WebAssembly engine) in a worker thread that starts its engine at once. Building the engine takes ~3 s of CPU
 * (with `--liftoff-only`) before the first template is checked; started with the app, it is built on the second
 * core while the stages are constructed, and `validate` then only checks templates. The report is the plugin's own, as in the app's thread.
 *
 * `validate` is synchronous, as aws-cdk-lib calls plugins: it waits on a shared flag for the thread's answer.
 * The thread does not keep the process alive; `stop()` ends it.
 */
export class ValidationWorker {
  /** Starts the thread, and with it the engine. */
  public static start(): ValidationWorker {
    const signal = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(path.join(__dirname, 'validation-thread.cjs'), {
      workerData: { port: port2, signal },
      transferList: [port2],
      // The thread runs plain JavaScript: no TypeScript hook, no profiler flags of the app's process.
      execArgv: [],
    });
    worker.unref();
    return new ValidationWorker(worker, port1, signal);
  }

  private stopped = false;

  private constructor(
    private readonly worker: Worker,
    private readonly port: MessagePort,
    private readonly signal: Int32Array,
  ) {}

  /** Validates the context's templates in the thread, as `CloudFormationValidatePlugin.validate` does. */
  public validate(context: ValidationRequest): PolicyValidationPluginReport {
    if (this.stopped) throw new Error('The CloudFormation validation thread was stopped; start another one.');
    const request: ValidationRequest = {
      stackTemplates: context.stackTemplates.map(({ stackConstructPath, templatePath, accountId, region }) => ({
        stackConstructPath,
        templatePath,
        accountId,
        region,
      })),
      templatePaths: [...context.templatePaths],
    };
    Atomics.store(this.signal, 0, 0);
    this.port.postMessage(request);
    if (Atomics.wait(this.signal, 0, 0, REPLY_TIMEOUT_MS) === 'timed-out') {
      this.stop();
      throw new Error(`The CloudFormation validation thread did not answer within ${REPLY_TIMEOUT_MS / 1000} s.`);
    }
    const reply = receiveMessageOnPort(this.port)?.message as ValidationReply | undefined;
    if (reply === undefined) throw new Error('The CloudFormation validation thread signalled an answer it did not send.');
    if ('error' in reply) throw new Error(`CloudFormation validation failed: ${reply.error}`);
    return reply.report;
  }

  /** Ends the thread (whether or not it validated anything). */
  public stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.port.close();
    void this.worker.terminate();
  }
}
