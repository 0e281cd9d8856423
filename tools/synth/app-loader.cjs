// How the app's modules load (cdk.json: `node --require ./tools/synth/app-loader.cjs bin/app.ts`): tsx's CommonJS
// hook for the project's `.ts` files, Node's own loader for every `.js` file, and Node's compile cache where the
// Node version has one.
const path = require('node:path');
const Module = require('node:module');

// tsx also takes over `.js`, to turn ES-module syntax into CommonJS: it reads each of the ~850 files the app
// loads from aws-cdk-lib and cdk-nag and scans it with a JavaScript lexer first, ~0.9 s of CPU per synthesis
// (app without validation, 5 interleaved runs on Node 20: 4.3 s median with tsx's `.js` hook, 3.4 s without).
// Every `.js` file the app loads is CommonJS (Node 20.19 and later load an ES module by `require` themselves), so
// Node's loader runs them as they are; `.ts` files, the resolution of extensionless imports and the source maps
// of stack traces stay tsx's, and the assembly is byte-identical.
const loadJavaScript = Module._extensions['.js'];
require('tsx/cjs');
Module._extensions['.js'] = loadJavaScript;

// Node 22.1 and later keep V8's compiled code of every module between runs (keyed by Node version and the
// module's content): app CPU on Node 24, 5 interleaved runs, 2.1–3.1 s against 2.4–3.3 s without. Node 20 has
// no compile cache; there this does nothing.
Module.enableCompileCache?.(path.join(__dirname, '..', '..', '.cache', 'node-compile-cache'));
