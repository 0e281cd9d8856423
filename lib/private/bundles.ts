import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { BundleName } from '../../contract/bundles';

/**
 * Where the prebuilt runtime bundles are: `assets/<name>/`, beside `lib/` in this repository and beside
 * `dist/lib/` in the published package, so a consumer's synth needs neither esbuild nor the runtime sources.
 * `npm run build:lambdas` (esbuild, ESM, minified, source maps) writes them.
 */
export function bundleDirectory(name: BundleName): string {
  return path.resolve(__dirname, '..', '..', 'assets', name);
}

export function bundleCode(name: BundleName): lambda.Code {
  const dir = bundleDirectory(name);
  if (!existsSync(path.join(dir, 'index.mjs'))) {
    throw new Error(`The Lambda bundle '${name}' is missing at ${dir}. Run 'npm run build:lambdas' (or 'npm run build') first.`);
  }
  return lambda.Code.fromAsset(dir);
}
