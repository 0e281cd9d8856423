#!/usr/bin/env node
/**
 * Node.js 24, the Lambda runtime's major version, for the runtime tests and the benchmarks: the bundles run on
 * it as Lambda runs them, whichever Node runs the tools. The binary comes from the npm registry
 * (`node-<platform>-<arch>`, which ships it in the package) and installs into `.cache/node24/` of the
 * repository, once; later runs reuse it offline.
 *
 * It is not a devDependency on purpose: the package declares the binary as `bin: node`, so npm would link it
 * as node_modules/.bin/node and every npm script (jest, tsc, cdk) would silently switch to Node 24.
 *
 *   node tools/node24            install if missing, print the binary's path (`npm run setup:node24`)
 *   require('./tools/node24').node24()   the same from code (CommonJS, so jest suites and .mjs alike can use it)
 */
const { execFileSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const { join } = require('node:path');

/** Lambda's nodejs24.x line; bump with the runtime. */
const NODE24_VERSION = '24.22.3';
const root = join(__dirname, '..', '..');
const prefix = join(root, '.cache', 'node24');
const packageName = `node-${process.platform}-${process.arch}`;
const binary = join(prefix, 'node_modules', packageName, 'bin', process.platform === 'win32' ? 'node.exe' : 'node');

function installed() {
  if (!existsSync(binary)) return false;
  try {
    return execFileSync(binary, ['--version'], { encoding: 'utf8' }).trim() === `v${NODE24_VERSION}`;
  } catch {
    return false;
  }
}

/** The Node 24 binary's path, installing it first when missing. Throws when it cannot be installed. */
function node24() {
  if (installed()) return binary;
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  try {
    execFileSync(
      npm,
      [
        'install',
        '--prefix',
        prefix,
        '--no-save',
        '--no-package-lock',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        // The version is exact: npm's cached copy (when this machine has one) is the registry's, no need to ask again.
        '--prefer-offline',
        `${packageName}@${NODE24_VERSION}`,
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
  } catch (error) {
    throw new Error(`Installing Node.js ${NODE24_VERSION} (${packageName} from the npm registry) into ${prefix} failed: ${error.message}`);
  }
  if (!installed()) throw new Error(`${binary} is not Node.js ${NODE24_VERSION} after installing ${packageName}`);
  return binary;
}

module.exports = { NODE24_VERSION, node24 };

if (require.main === module) process.stdout.write(`${node24()}\n`);
