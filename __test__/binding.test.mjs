// The native loader (binding.js) on every platform of package.json
// `napi.targets`, faked: a child Node process gets another process.platform,
// process.arch and libc (through process.report) before it requires a copy of
// binding.js that has no binary beside it. A missing binary must name the
// platform package expected, the platform and libc found, and the fix; a
// present package must be the one loaded.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseTriple } from '@napi-rs/cli';

const root = fileURLToPath(new URL('..', import.meta.url));
const manifest = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8'));
const VERSION = manifest.version;
const TARGETS = manifest.napi.targets.map((triple) => parseTriple(triple));
const HOST_NAME = 'linux-x64-gnu';
const HOST_NODE = path.join(root, `nextauth-chatbotkit.${HOST_NAME}.node`);

let work; // a copy of binding.js + package.json, with nothing beside them
let fake; // the preload that fakes the platform

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'nextauth-chatbotkit-binding-'));
  await mkdir(path.join(work, 'pkg'));
  await copyFile(path.join(root, 'binding.js'), path.join(work, 'pkg', 'binding.js'));
  await copyFile(path.join(root, 'package.json'), path.join(work, 'pkg', 'package.json'));
  fake = path.join(work, 'fake-platform.cjs');
  await writeFile(
    fake,
    `const fake = JSON.parse(process.env.FAKE_PLATFORM || 'null');
    if (fake) {
      Object.defineProperty(process, 'platform', { value: fake.platform });
      Object.defineProperty(process, 'arch', { value: fake.arch });
      const header = fake.glibc ? { glibcVersionRuntime: fake.glibc } : {};
      const sharedObjects = fake.musl ? ['/lib/ld-musl-' + fake.arch + '.so.1'] : [];
      Object.defineProperty(process, 'report', { value: { getReport: () => ({ header, sharedObjects }) } });
    }`,
  );
});

after(async () => {
  await rm(work, { recursive: true, force: true });
});

/**
 * Requires the copied binding.js in a child with `platform` faked and
 * `nodePath` as NODE_PATH; resolves to { loaded: [.node files] } or
 * { error: { code, message, cause } }.
 */
function load({ platform = null, nodePath } = {}) {
  const env = { ...process.env, FAKE_PLATFORM: JSON.stringify(platform) };
  delete env.NAPI_RS_NATIVE_LIBRARY_PATH;
  delete env.NODE_PATH;
  if (nodePath) env.NODE_PATH = nodePath;
  const script = `
    try {
      const binding = require(${JSON.stringify(path.join(work, 'pkg', 'binding.js'))});
      const loaded = Object.keys(require.cache).filter((f) => f.endsWith('.node'));
      console.log(JSON.stringify({ loaded, exports: Object.keys(binding) }));
    } catch (e) {
      console.log(JSON.stringify({ error: { code: e.code, message: e.message, cause: e.cause?.message } }));
    }`;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--require', fake, '-e', script],
      { env },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${error.message}\n${stderr}`));
        else resolve(JSON.parse(stdout));
      },
    );
  });
}

/** The faked process for a napi-rs target. */
function processFor({ platform, arch, abi }) {
  if (platform !== 'linux') return { platform, arch };
  return abi === 'musl' ? { platform, arch, musl: true } : { platform, arch, glibc: '2.31' };
}

for (const target of TARGETS) {
  const expected = `nextauth-chatbotkit-${target.platformArchABI}`;
  test(`${target.platformArchABI}, package missing: names ${expected}, what was found, and the fix`, async () => {
    const { error } = await load({ platform: processFor(target) });
    assert.equal(error?.code, 'NATIVE_BINDING', JSON.stringify(error));
    const { message } = error;
    assert.match(message, new RegExp(`the package ${expected}, which is not installed`));
    assert.ok(message.includes(`npm install ${expected}@${VERSION}`), message);
    assert.match(message, /--omit=optional/);
    const libc =
      target.platform !== 'linux' ? '' : target.abi === 'musl' ? ', musl' : ', glibc 2.31';
    assert.ok(message.includes(`(${target.platform} ${target.arch}${libc}, Node v`), message);
    assert.doesNotMatch(message, /npm has a bug|wasi|wasm/i);
  });
}

test('a platform without a binary: says so and lists the ones of napi.targets', async () => {
  const { error } = await load({ platform: { platform: 'freebsd', arch: 'x64' } });
  assert.equal(error?.code, 'NATIVE_BINDING');
  assert.match(error.message, /no prebuilt binary for this platform \(freebsd x64, Node v/);
  const listed = error.message.match(/Binaries exist for ([^.]+)\./)?.[1].split(', ');
  assert.deepEqual(listed?.sort(), TARGETS.map((t) => t.platformArchABI).sort());
  assert.match(error.message, /NAPI_RS_NATIVE_LIBRARY_PATH/);
});

test('Linux arm64 on musl is told the -musl package, not the -gnu one', async () => {
  const { error } = await load({ platform: { platform: 'linux', arch: 'arm64', musl: true } });
  assert.match(error.message, /nextauth-chatbotkit-linux-arm64-musl/);
  assert.doesNotMatch(error.message, /linux-arm64-gnu/);
});

/** A node_modules holding a platform package with `files` in it. */
async function installed(name, files, version = VERSION) {
  const modules = await mkdtemp(path.join(work, 'node_modules-'));
  const dir = path.join(modules, 'node_modules', `nextauth-chatbotkit-${name}`);
  await mkdir(dir, { recursive: true });
  const main = `nextauth-chatbotkit.${name}.node`;
  await writeFile(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: `nextauth-chatbotkit-${name}`, version, main }),
  );
  for (const [file, content] of Object.entries(files))
    await writeFile(path.join(dir, file), content);
  return { nodePath: path.join(modules, 'node_modules'), file: path.join(dir, main) };
}

test('the installed platform package is found and its binary loaded', async () => {
  const { nodePath, file } = await installed(HOST_NAME, {
    [`nextauth-chatbotkit.${HOST_NAME}.node`]: await readFile(HOST_NODE),
  });
  const result = await load({ nodePath });
  assert.equal(result.error, undefined, JSON.stringify(result.error));
  assert.deepEqual(result.loaded, [file]);
  assert.ok(result.exports.includes('NativeAdapter'), result.exports.join(', '));
});

test('an installed package of another version: names both versions and the fix', async () => {
  const { nodePath } = await installed(HOST_NAME, {}, '0.0.1');
  const { error } = await load({ nodePath });
  assert.equal(error?.code, 'NATIVE_BINDING');
  assert.match(
    error.message,
    new RegExp(`nextauth-chatbotkit-${HOST_NAME}@0\\.0\\.1 is installed`),
  );
  assert.ok(error.message.includes(`npm install nextauth-chatbotkit-${HOST_NAME}@${VERSION}`));
});

test('an installed binary that does not load: says so, with the reason', async () => {
  const { nodePath } = await installed(HOST_NAME, {
    [`nextauth-chatbotkit.${HOST_NAME}.node`]: 'not an ELF file',
  });
  const { error } = await load({ nodePath });
  assert.equal(error?.code, 'NATIVE_BINDING');
  assert.match(error.message, /is installed but its binary does not load here \(linux x64, glibc/);
  assert.match(error.message, /reinstall on this machine/);
  assert.ok(error.cause, 'the load error is kept as the cause');
});
