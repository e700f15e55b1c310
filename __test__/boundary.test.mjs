// The napi boundary is typed (src/napi/, generated binding.d.ts): the adapter
// method names are one list in Rust that binding.d.ts spells out as a union,
// JS builds the adapter from the same list, and a name outside it is refused
// at the boundary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { ChatBotKitPartnerAdapter, MemoryStore } from '../index.mjs';

const require = createRequire(import.meta.url);
const { NativeAdapter, NativeMemoryStore, adapterMethods } = require('../binding.js');
const root = fileURLToPath(new URL('..', import.meta.url));
const tsc = require.resolve('typescript/bin/tsc');

/** The string literals of `export type <name> = 'a' | 'b' ...` in binding.d.ts. */
function unionInBindingDts(name) {
  const dts = readFileSync(new URL('../binding.d.ts', import.meta.url), 'utf8');
  const line = dts.split('\n').find((l) => l.startsWith(`export type ${name} = `));
  assert.ok(line, `binding.d.ts declares no type ${name}`);
  return [...line.matchAll(/'([^']*)'/g)].map((m) => m[1]);
}

test('binding.d.ts lists the adapter methods the addon serves, in contract order', () => {
  const methods = adapterMethods();
  assert.equal(methods.length, 19);
  assert.deepEqual(unionInBindingDts('AdapterMethod'), methods);
  const adapter = ChatBotKitPartnerAdapter({ secret: 's', store: new MemoryStore() });
  assert.deepEqual(Object.keys(adapter), methods);
});

test('a method name outside the list is refused at the boundary, naming the type', () => {
  const native = NativeAdapter.withMemoryStore('{"secret":"s"}', new NativeMemoryStore());
  assert.throws(() => native.call('getUsr', '[]'), /AdapterMethod/);
  assert.throws(() => native.call(7, '[]'), /AdapterMethod/);
});

test(
  'types: binding.d.ts compiles alone; a wrong method name is a type error',
  { timeout: 120_000 },
  async () => {
    const { code, output } = await new Promise((resolve) => {
      execFile(
        process.execPath,
        [tsc, '-p', '__test__/types/tsconfig.binding.json'],
        { cwd: root, timeout: 110_000 },
        (error, stdout, stderr) =>
          resolve({ code: error ? (error.code ?? 'killed') : 0, output: `${stdout}${stderr}` }),
      );
    });
    assert.equal(code, 0, `tsc -p __test__/types/tsconfig.binding.json failed:\n${output}`);
  },
);
