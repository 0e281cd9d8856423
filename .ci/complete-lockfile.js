#!/usr/bin/env node
// Adds lock entries for optional platform packages that the registry reachable here does not serve,
// so `npm ci` finds package.json and package-lock.json in sync; npm skips them on other platforms.
const fs = require('node:fs');
const file = process.argv[2];
const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
const pk = lock.packages;
const OS = ['darwin', 'linux', 'win32', 'android', 'freebsd', 'openharmony', 'openbsd', 'netbsd', 'sunos', 'aix', 'wasm32'];
const CPU = {
  arm64: 'arm64',
  x64: 'x64',
  ia32: 'ia32',
  arm: 'arm',
  ppc64: 'ppc64',
  s390x: 's390x',
  riscv64: 'riscv64',
  loong64: 'loong64',
  mips64el: 'mips64el',
  ppc64le: 'ppc64',
};
let added = 0;
for (const [path, entry] of Object.entries(pk)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const base = path === '' ? '' : `${path}/`;
    const candidates = [`${base}node_modules/${name}`, `node_modules/${name}`];
    if (candidates.some((c) => pk[c])) continue;
    const parts = name.split('/').pop().split('-');
    const os = parts.find((p) => OS.includes(p));
    const cpuKey = parts.find((p) => CPU[p]);
    const stub = { version, optional: true };
    if (os) stub.os = [os === 'wasm32' ? 'none' : os];
    if (cpuKey) stub.cpu = [CPU[cpuKey]];
    if (parts.includes('gnu') || parts.includes('gnueabihf') || parts.includes('musl') || parts.includes('musleabihf'))
      stub.libc = [parts.some((p) => p.startsWith('musl')) ? 'musl' : 'glibc'];
    pk[`node_modules/${name}`] = stub;
    added++;
  }
}
const sorted = {};
for (const k of Object.keys(pk).sort((a, b) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b)))) sorted[k] = pk[k];
lock.packages = sorted;
fs.writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`added ${added} stub entries`);
