import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { CloudFormationValidatePlugin, IPolicyValidationContext, PolicyValidationPluginReport, PolicyValidationStack } from 'aws-cdk-lib';
import { ValidationWorker } from './validation-worker';

const ROOT = path.resolve(__dirname, '..', '..');
/** One empty file per template that passed: its name is the template's validation key. */
export const VALIDATION_CACHE = path.join(ROOT, '.cache', 'cfn-validate');

export interface CachedCloudFormationValidationProps {
  /** Where passed templates are recorded. Default: `.cache/cfn-validate/` of the repository. */
  readonly directory?: string;
  /**
   * A thread that runs aws-cdk-lib's validation with its engine already started (`ValidationWorker.start()` when the
   * app starts). Default: the validation runs in the app's thread, and starts its engine there when first needed.
   */
  readonly worker?: ValidationWorker;
}

function versionOf(packageJson: string): string {
  return (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version;
}

/**
 * aws-cdk-lib's CloudFormation template validation (`@aws-cdk/core:validateAgainstDefaultRules`, the
 * `@aws/cloudformation-validate` WebAssembly engine), remembering the templates it passed. Building the engine
 * alone takes ~5 s of CPU per process, and validating every stage another ~5 s: most of `cdk synth` and of each
 * test suite that synthesizes a stage, for templates that are byte for byte those of the last run.
 *
 * A template is validated unless a template with exactly its content, for the same account and region, passed
 * with no finding at all under the same aws-cdk-lib (which pins the engine, its rules and its options). Templates
 * with any finding are validated every time, so a report always shows them, exactly as without the cache.
 * `CFN_VALIDATE_CACHE=off` validates everything.
 */
export class CachedCloudFormationValidation extends CloudFormationValidatePlugin {
  private readonly toolchain = versionOf(require.resolve('aws-cdk-lib/package.json'));
  /** The engine's version, as its package states it: aws-cdk-lib's own getter loads the WebAssembly module to ask it. */
  private readonly engineVersion = versionOf(
    require.resolve('@aws/cloudformation-validate/package.json', { paths: [path.dirname(require.resolve('aws-cdk-lib/package.json'))] }),
  );
  private readonly directory: string;
  private readonly worker?: ValidationWorker;

  constructor(props: CachedCloudFormationValidationProps = {}) {
    super();
    this.directory = props.directory ?? VALIDATION_CACHE;
    this.worker = props.worker;
  }

  public get version(): string {
    return this.engineVersion;
  }

  public get ruleIds(): string[] {
    return [this.engineVersion];
  }

  public validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const enabled = process.env.CFN_VALIDATE_CACHE !== 'off';
    const markers = new Map(context.stackTemplates.map((stack) => [stack, path.join(this.directory, this.keyOf(stack))]));
    const pending = context.stackTemplates.filter((stack) => !enabled || !existsSync(markers.get(stack) ?? ''));
    if (pending.length === 0) return { success: true, violations: [] };
    const toValidate = { ...context, stackTemplates: pending, templatePaths: pending.map((stack) => stack.templatePath) };
    const report = this.worker ? this.worker.validate(toValidate) : this.validateHere(toValidate);
    if (enabled) {
      const withFindings = new Set(report.violations.flatMap((v) => v.violatingResources.map((r) => r.templatePath)));
      mkdirSync(this.directory, { recursive: true });
      for (const stack of pending) if (!withFindings.has(stack.templatePath)) writeFileSync(markers.get(stack) ?? '', '');
    }
    return report;
  }

  /** aws-cdk-lib's validation in this thread. */
  private validateHere(context: IPolicyValidationContext): PolicyValidationPluginReport {
    // The engine's 9 MB of WebAssembly stays in V8's baseline compiler (Liftoff): optimizing it (TurboFan tier-up,
    // on background threads) cost ~2 s of CPU that one synthesis never earned back (validating every stage: 4.9–5.6
    // CPU-s with it, 2.9–3.5 without). The flag applies to WebAssembly compiled from here on, in this process.
    setFlagsFromString('--liftoff-only');
    return super.validate(context);
  }

  private keyOf(stack: PolicyValidationStack): string {
    return createHash('sha256')
      .update(JSON.stringify([this.toolchain, stack.accountId ?? null, stack.region ?? null]))
      .update('\0')
      .update(readFileSync(stack.templatePath))
      .digest('hex');
  }
}

/**
 * Makes the cached validation the one aws-cdk-lib runs by default (its per-process instance), so the app registers
 * no plugin of its own: a registered plugin would be named in every template's CDKMetadata, and the templates stay
 * byte for byte what they were. Call it before `app.synth()`; jest gives each suite its own aws-cdk-lib, so each
 * suite's app calls it. When aws-cdk-lib no longer has that instance, validation runs uncached, as before.
 */
export function useCachedTemplateValidation(props: CachedCloudFormationValidationProps = {}): void {
  const plugin = CloudFormationValidatePlugin as unknown as { _instance?: CloudFormationValidatePlugin; _singletonInstance?: unknown };
  if (typeof plugin._singletonInstance !== 'function' || plugin._instance instanceof CachedCloudFormationValidation) return;
  (plugin._instance as { _dispose?: () => void } | undefined)?._dispose?.();
  plugin._instance = new CachedCloudFormationValidation(props);
}
