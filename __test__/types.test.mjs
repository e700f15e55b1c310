// Type tests (__test__/types/): `tsc --noEmit` must pass on
//   tsconfig.json      the adapter is an @auth/core `Adapter`, the provider a `Provider`,
//                      from CommonJS and from an ES module;
//   tsconfig.dts.json  this package's declarations compile on their own, and bad
//                      options are type errors (`// @ts-expect-error` lines);
//   tsconfig.v4.json   the adapter is a next-auth v4 `Adapter` (next-auth@4 is
//                      installed in __test__/types/v4 by `npm ci` when missing: its
//                      peer @auth/core conflicts with the root's).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const types = path.join(root, '__test__', 'types');
const v4 = path.join(types, 'v4');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(command, args, cwd) {
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    if (/^npm_(config|package|lifecycle)_/i.test(name)) delete env[name];
  }
  return new Promise((resolve) => {
    execFile(command, args, { cwd, env, timeout: 180_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (error.code ?? 'killed') : 0, output: `${stdout}${stderr}` });
    });
  });
}

async function typecheck(config) {
  const { code, output } = await run(process.execPath, [tsc, '-p', path.join(types, config)], root);
  assert.equal(code, 0, `tsc -p __test__/types/${config} failed:\n${output}`);
}

test(
  'types: assignable to @auth/core Adapter and Provider (CJS and ESM)',
  { timeout: 120_000 },
  () => typecheck('tsconfig.json'),
);

test(
  'types: the declarations compile alone; bad options are type errors',
  { timeout: 120_000 },
  () => typecheck('tsconfig.dts.json'),
);

test('types: assignable to next-auth v4 Adapter', { timeout: 240_000 }, async () => {
  if (!existsSync(path.join(v4, 'node_modules', 'next-auth', 'adapters.d.ts'))) {
    const { code, output } = await run(npm, ['ci', '--loglevel=error'], v4);
    assert.equal(code, 0, `npm ci in __test__/types/v4 failed:\n${output}`);
  }
  await typecheck('tsconfig.v4.json');
});
