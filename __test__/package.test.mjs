// What users install: the main package holds only the JS wrapper, its types,
// the napi loader, the testing fake, README and package.json; the platform
// package holds the .node; both tarballs install into an empty directory and
// work from `require` and from `import`.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pack, NODE_FILE } from '../scripts/pack.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const PLATFORM_PACKAGE = 'nextauth-chatbotkit-linux-x64-gnu';

/** This environment without an outer npm's or test runner's settings. */
function cleanEnv() {
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    if (/^npm_(config|package|lifecycle)_/i.test(name)) delete env[name];
  }
  for (const name of [
    'NODE_TEST_CONTEXT',
    'NAPI_RS_NATIVE_LIBRARY_PATH',
    'NODE_PATH',
    'NODE_OPTIONS',
  ]) {
    delete env[name];
  }
  return env;
}

function run(command, args, cwd) {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { cwd, env: cleanEnv(), maxBuffer: 64 * 1024 * 1024, timeout: 120_000 },
      (error, stdout, stderr) => {
        if (error)
          reject(new Error(`${command} ${args.join(' ')}: ${error.message}\n${stdout}\n${stderr}`));
        else resolve(stdout);
      },
    );
  });
}

/** The file list of a tarball (paths inside `package/`). */
async function tarList(tarball) {
  const out = await run('tar', ['-tzf', tarball], root);
  return out
    .split('\n')
    .filter(Boolean)
    .map((entry) => entry.replace(/^package\//, ''))
    .sort();
}

const sha256 = async (file) =>
  createHash('sha256')
    .update(await readFile(file))
    .digest('hex');

let work; // a temporary directory: tarballs in dist/, the install in app/
let tarballs;

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'nextauth-chatbotkit-package-'));
  tarballs = await pack(path.join(work, 'dist'));
});

after(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

test('npm pack --dry-run: only what users need', async () => {
  const [info] = JSON.parse(await run(npm, ['pack', '--dry-run', '--json'], root));
  const files = info.files.map((file) => file.path).sort();
  const manifest = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8'));

  for (const needed of [
    'package.json',
    'README.md',
    'index.js',
    'index.mjs',
    'index.d.ts',
    'binding.js',
    'binding.d.ts',
    'testing/index.js',
    'testing/index.mjs',
    'testing/index.d.ts',
    'testing/fake-partner-api.js',
  ]) {
    assert.ok(files.includes(needed), `${needed} is packed (${files.join(', ')})`);
  }
  // The wrapper is lib/*.js, all of it.
  for (const name of await readdir(path.join(root, 'lib'))) {
    if (name.endsWith('.js')) assert.ok(files.includes(`lib/${name}`), `lib/${name} is packed`);
  }

  for (const file of files) {
    assert.doesNotMatch(
      file,
      /^(src|target|__test__|scripts|examples|npm|dist|bench|node_modules|\.ci|\.github)\//,
      `${file} is not for users`,
    );
    assert.doesNotMatch(
      file,
      /\.(node|rs|tgz|map)$|^Cargo\.|^build\.rs$|\.test\./,
      `${file} is not for users`,
    );
    const top = file.split('/')[0];
    const allowed =
      ['package.json', 'README.md', 'LICENSE', 'LICENSE.md'].includes(file) ||
      manifest.files.some((entry) => entry.replace(/\/$/, '') === top || entry === file);
    assert.ok(allowed, `${file} comes from package.json "files"`);
  }

  // Every target of `main`, `types` and `exports` is in the package.
  const targets = [manifest.main, manifest.types];
  const collect = (value) => {
    if (typeof value === 'string') targets.push(value);
    else if (value && typeof value === 'object') Object.values(value).forEach(collect);
  };
  collect(manifest.exports);
  for (const target of targets) {
    assert.ok(files.includes(path.posix.normalize(target)), `${target} (package.json) is packed`);
  }

  // Every relative require/import of the packed JS resolves inside the package
  // (the loader's per-platform .node / .wasi.cjs candidates excepted).
  for (const file of files.filter((f) => /\.(c|m)?js$/.test(f))) {
    const source = await readFile(path.join(root, file), 'utf8');
    const specifiers = [
      ...source.matchAll(/require\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g),
      ...source.matchAll(/\bfrom\s+['"](\.{1,2}\/[^'"]+)['"]/g),
    ].map((m) => m[1]);
    for (const specifier of specifiers) {
      if (/\.node$|\.wasi(-browser)?\.c?js$/.test(specifier)) continue;
      const target = path.posix.join(path.posix.dirname(file), specifier);
      assert.ok(
        files.includes(target) || files.includes(`${target}.js`),
        `${file} needs ${specifier}, which is not packed`,
      );
    }
  }

  assert.ok(info.size < 1_000_000, `the main tarball stays small (${info.size} bytes)`);
});

test('scripts/pack.mjs: the main tarball matches the dry run, the platform one holds the .node', async () => {
  const main = await tarList(tarballs.main);
  const [info] = JSON.parse(await run(npm, ['pack', '--dry-run', '--json'], root));
  assert.deepEqual(main, info.files.map((file) => file.path).sort());
  assert.ok(!main.some((file) => file.endsWith('.node')), 'no .node in the main package');

  const platform = await tarList(tarballs.platform);
  assert.ok(platform.includes(NODE_FILE), `${NODE_FILE} in the platform package: ${platform}`);
  assert.ok(platform.includes('package.json'));
  for (const file of platform) {
    assert.ok(
      [NODE_FILE, 'package.json', 'README.md', 'LICENSE'].includes(file),
      `${file} does not belong in the platform package`,
    );
  }
  const platformManifest = JSON.parse(
    await readFile(path.join(root, 'npm', 'linux-x64-gnu', 'package.json'), 'utf8'),
  );
  assert.equal(platformManifest.main, NODE_FILE);
  const mainManifest = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8'));
  assert.equal(platformManifest.version, mainManifest.version);
  assert.equal(mainManifest.optionalDependencies?.[PLATFORM_PACKAGE], mainManifest.version);
});

test('both tarballs install into an empty directory and work from require and import', async () => {
  const app = path.join(work, 'app');
  await mkdir(app, { recursive: true });
  await writeFile(
    path.join(app, 'package.json'),
    JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }),
  );
  await run(
    npm,
    [
      'install',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      '--no-package-lock',
      '--loglevel=error',
      tarballs.main,
      tarballs.platform,
    ],
    app,
  );
  const installed = path.join(app, 'node_modules', PLATFORM_PACKAGE, NODE_FILE);
  assert.ok(existsSync(installed), 'the platform package is installed');
  assert.equal(await sha256(installed), tarballs.nodeSha256, 'the .node that was packed');
  assert.ok(!existsSync(path.join(app, 'node_modules', 'nextauth-chatbotkit', NODE_FILE)));

  // A verification token round trip on a MemoryStore; the addon must come
  // from the platform package.
  const roundTrip = `
    const adapter = ChatBotKitPartnerAdapter({
      secret: 'not-used', baseUrl: 'http://127.0.0.1:9', store: new MemoryStore(),
    });
    const expires = new Date(Date.now() + 60_000);
    await adapter.createVerificationToken({ identifier: 'a@example.com', token: 't1', expires });
    const used = await adapter.useVerificationToken({ identifier: 'a@example.com', token: 't1' });
    const again = await adapter.useVerificationToken({ identifier: 'a@example.com', token: 't1' });
    if (!(used && used.expires instanceof Date && used.expires.getTime() === expires.getTime())) {
      throw new Error('round trip: ' + JSON.stringify(used));
    }
    if (again !== null) throw new Error('a token is used once');
  `;
  await writeFile(
    path.join(app, 'check.cjs'),
    `(async () => {
      const { ChatBotKitPartnerAdapter, MemoryStore, AdapterError } = require('nextauth-chatbotkit');
      const { startFakePartnerApi } = require('nextauth-chatbotkit/testing');
      if (typeof AdapterError !== 'function' || typeof startFakePartnerApi !== 'function') throw new Error('exports');
      ${roundTrip}
      const loaded = Object.keys(require.cache).filter((f) => f.endsWith('.node'));
      console.log(JSON.stringify({ ok: true, loaded }));
    })().catch((e) => { console.error(e); process.exit(1); });`,
  );
  await writeFile(
    path.join(app, 'check.mjs'),
    `import { ChatBotKitPartnerAdapter, MemoryStore, createChatBotKitSession } from 'nextauth-chatbotkit';
    import cjs from 'nextauth-chatbotkit';
    import { startFakePartnerApi } from 'nextauth-chatbotkit/testing';
    if (cjs.MemoryStore !== MemoryStore) throw new Error('one module, two faces');
    ${roundTrip}
    const api = await startFakePartnerApi();
    const user = api.addUser({ email: 'b@example.com' });
    const session = await createChatBotKitSession({ secret: api.secret, baseUrl: api.url }, user.id, { durationInSeconds: 60 });
    await api.close();
    if (!(session.expiresAt instanceof Date) || !session.token) throw new Error('session: ' + JSON.stringify(session));
    console.log(JSON.stringify({ ok: true }));`,
  );

  const cjs = JSON.parse(await run(process.execPath, ['check.cjs'], app));
  assert.equal(cjs.ok, true);
  assert.deepEqual(cjs.loaded, [installed], 'the addon was loaded from the platform package');
  const esm = JSON.parse(await run(process.execPath, ['check.mjs'], app));
  assert.equal(esm.ok, true);
});
