// What an app's set-up relies on before the first sign-in (issue 12):
//
//   - creating the adapter and a RedisStore needs no runtime secret and opens
//     no socket (`next build` evaluates auth.ts without either); what is unset
//     is reported by the first call, naming the variable; wrong types still
//     throw at construction;
//   - CHATBOTKIT_API_URL is the default baseUrl;
//   - every `new MemoryStore()` of a process is one store, across copies of
//     the module (Next.js evaluates auth.ts once per bundle);
//   - emailCallbackUrl builds Auth.js's email callback from a typed code;
//   - the edge-light / worker conditions load a stub that imports without
//     the addon and names the fix when used; `browser` is server-only;
//   - `nextauth-chatbotkit-fake-api` runs the fake Partner API on its own.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AdapterError,
  ChatBotKitPartnerAdapter,
  MemoryStore,
  RedisStore,
  createChatBotKitSession,
  emailCallbackUrl,
} from '../index.mjs';
import { startFakePartnerApi } from '../testing/index.mjs';
import { rejectsWith as rejectsWithCode } from './helpers/assert.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
const { adapterMethods } = require('../binding.js');

/** Asserts `fn()` rejects with an AdapterError of `code` whose message matches `pattern`. */
async function rejectsWith(fn, code, pattern) {
  const error = await rejectsWithCode(fn(), code);
  if (pattern) assert.match(error.message, pattern);
}

function throwsConfig(fn, pattern) {
  assert.throws(
    fn,
    (e) => e instanceof AdapterError && e.code === 'CONFIG' && pattern.test(e.message),
  );
}

/** A TCP listener that counts the connections it gets. */
async function listener() {
  let connections = 0;
  const sockets = new Set();
  const server = net.createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `redis://127.0.0.1:${server.address().port}`,
    connections: () => connections,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

test('an unset secret is reported by the first call, naming CHATBOTKIT_API_SECRET', async () => {
  for (const secret of [undefined, null, '', '  \n']) {
    const adapter = ChatBotKitPartnerAdapter({ secret, store: new MemoryStore() });
    await rejectsWith(
      () => adapter.getUserByEmail('ada@example.com'),
      'CONFIG',
      /CHATBOTKIT_API_SECRET/,
    );
    await rejectsWith(() => adapter.createSession({}), 'CONFIG', /CHATBOTKIT_API_SECRET/);
  }
  await rejectsWith(
    () => createChatBotKitSession({ secret: undefined }, 'usr_1'),
    'CONFIG',
    /CHATBOTKIT_API_SECRET/,
  );
});

test('wrong types still throw at construction, with or without the secret', () => {
  throwsConfig(
    () => ChatBotKitPartnerAdapter({ secret: 42, store: new MemoryStore() }),
    /invalid type/,
  );
  for (const secret of ['s', undefined]) {
    throwsConfig(
      () => ChatBotKitPartnerAdapter({ secret, store: new MemoryStore(), timeout: '10s' }),
      /timeout|invalid type/,
    );
    throwsConfig(
      () => ChatBotKitPartnerAdapter({ secret, store: new MemoryStore(), retries: 99 }),
      /retries/,
    );
    throwsConfig(() => ChatBotKitPartnerAdapter({ secret }), /store/);
    throwsConfig(() => ChatBotKitPartnerAdapter({ secret, store: { get() {} } }), /set\(\)/);
  }
  throwsConfig(() => new RedisStore({ url: 42 }), /invalid type|url/);
  throwsConfig(() => new RedisStore({ url: 'http://not-redis' }), /Redis URL/);
  throwsConfig(() => new RedisStore({ timeout: 'soon' }), /timeout|invalid type/);
  throwsConfig(() => new MemoryStore({ name: 7 }), /name/);
});

test('a RedisStore without url is reported at first use, naming REDIS_URL', async () => {
  for (const url of [undefined, '']) {
    const store = new RedisStore({ url });
    await rejectsWith(() => store.get('k'), 'CONFIG', /REDIS_URL/);
    store.close(); // nothing to close: no throw
    for (const secret of ['s', undefined]) {
      const adapter = ChatBotKitPartnerAdapter({ secret, store });
      const expected = secret ? /REDIS_URL/ : /CHATBOTKIT_API_SECRET/;
      await rejectsWith(() => adapter.getSessionAndUser('t'), 'CONFIG', expected);
    }
  }
});

test('creating a RedisStore and the adapter opens no socket; the first call does', async () => {
  const redis = await listener();
  try {
    const store = new RedisStore({ url: redis.url, timeout: 300 });
    const adapter = ChatBotKitPartnerAdapter({ secret: 's', store, timeout: 600, retries: 0 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(redis.connections(), 0, 'no connection before the first call');
    // The listener never answers like Redis: the call fails, having connected.
    await assert.rejects(adapter.getSessionAndUser('token'));
    assert.ok(redis.connections() >= 1, 'the first call connected');
    store.close();
  } finally {
    await redis.close();
  }
});

test('CHATBOTKIT_API_URL is the default baseUrl', async () => {
  const api = await startFakePartnerApi({ users: [{ email: 'ada@example.com' }] });
  const saved = process.env.CHATBOTKIT_API_URL;
  try {
    process.env.CHATBOTKIT_API_URL = api.url;
    const adapter = ChatBotKitPartnerAdapter({ secret: api.secret, store: new MemoryStore() });
    const user = await adapter.getUserByEmail('ada@example.com');
    assert.equal(user?.email, 'ada@example.com');
    const session = await createChatBotKitSession({ secret: api.secret }, user.id);
    assert.equal(api.sessions.at(-1).id, session.id);
    // An explicit baseUrl still wins.
    const other = ChatBotKitPartnerAdapter({
      secret: api.secret,
      baseUrl: 'http://127.0.0.1:9',
      store: new MemoryStore(),
      retries: 0,
      timeout: 1000,
    });
    await rejectsWith(() => other.getUserByEmail('ada@example.com'), 'NETWORK');
  } finally {
    if (saved === undefined) delete process.env.CHATBOTKIT_API_URL;
    else process.env.CHATBOTKIT_API_URL = saved;
    await api.close();
  }
});

test('every new MemoryStore() is one process-wide store; names make separate ones', async () => {
  const a = new MemoryStore();
  const b = new MemoryStore();
  await a.set('setup:shared', { n: 1 });
  assert.deepEqual(await b.get('setup:shared'), { n: 1 });

  // Another copy of the module, as a second Next.js bundle would evaluate it.
  const storesPath = require.resolve('../lib/stores.js');
  const first = require.cache[storesPath];
  delete require.cache[storesPath];
  try {
    const copy = require('../lib/stores.js');
    assert.notEqual(copy.MemoryStore, MemoryStore, 'a separate copy of the module');
    assert.deepEqual(await new copy.MemoryStore().get('setup:shared'), { n: 1 });
  } finally {
    if (first) require.cache[storesPath] = first;
  }

  const named = new MemoryStore({ name: 'setup-test' });
  assert.equal(await named.get('setup:shared'), null, 'a named store is separate');
  await named.set('setup:named', 1);
  assert.equal(await new MemoryStore({ name: 'setup-test' }).get('setup:named'), 1);
  assert.equal(await a.get('setup:named'), null);
  await a.del('setup:shared');
});

test('emailCallbackUrl: Auth.js email callback from what was typed', () => {
  assert.equal(
    emailCallbackUrl({ email: ' ada@example.com ', code: ' A1B 2C3 ' }),
    '/api/auth/callback/email?token=a1b2c3&email=ada%40example.com',
  );
  const url = new URL(
    emailCallbackUrl({
      email: 'ada+x@example.com',
      code: 'abcdef',
      callbackUrl: '/dashboard?tab=1',
      basePath: '/auth/',
    }),
    'http://localhost',
  );
  assert.equal(url.pathname, '/auth/callback/email');
  assert.equal(url.searchParams.get('email'), 'ada+x@example.com');
  assert.equal(url.searchParams.get('token'), 'abcdef');
  assert.equal(url.searchParams.get('callbackUrl'), '/dashboard?tab=1');
  // FormData.get gives null for a missing field: an empty value Auth.js refuses.
  assert.equal(
    emailCallbackUrl({ email: null, code: null }),
    '/api/auth/callback/email?token=&email=',
  );
});

function nodeWith(args, script) {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...args, '--input-type=module', '-e', script],
      { cwd: root, timeout: 30_000 },
      (error, stdout, stderr) => resolve({ code: error?.code ?? 0, stdout, stderr }),
    );
  });
}

test('edge-light / worker: a stub that imports without the addon and names the fix', async () => {
  const script = `
    const loaded = [];
    const dlopen = process.dlopen;
    process.dlopen = (module, file, ...rest) => { loaded.push(file); return dlopen(module, file, ...rest); };
    const pkg = await import('nextauth-chatbotkit');
    const partner = await import('nextauth-chatbotkit/partner');
    const store = new pkg.RedisStore({ url: process.env.NOPE });
    const adapter = pkg.ChatBotKitPartnerAdapter({ secret: undefined, store: new pkg.MemoryStore() });
    const provider = pkg.ChatBotKitEmailProvider({ sendVerificationRequest() {} });
    const errors = [];
    for (const call of [() => adapter.getUserByEmail('a@b.c'), () => store.get('k'),
        () => pkg.createChatBotKitSession({ secret: 's' }, 'u'), () => partner.ChatBotKitPartnerAdapter({}).getUser('u')]) {
      try { await call(); errors.push(null); } catch (e) {
        errors.push({ name: e.name, code: e.code, isAdapterError: e instanceof pkg.AdapterError, message: e.message });
      }
    }
    console.log(JSON.stringify({ loaded, errors, provider: provider.type, methods: Object.keys(adapter),
      url: pkg.emailCallbackUrl({ email: 'a@b.c', code: 'X' }) }));
  `;
  for (const condition of ['edge-light', 'worker']) {
    const { code, stdout, stderr } = await nodeWith([`--conditions=${condition}`], script);
    assert.equal(code, 0, `${condition}: ${stderr}`);
    const out = JSON.parse(stdout);
    assert.deepEqual(out.loaded, [], `${condition}: no native addon loaded`);
    assert.deepEqual(out.methods, adapterMethods(), 'the stub has every adapter method');
    assert.equal(out.provider, 'email');
    assert.equal(out.url, '/api/auth/callback/email?token=x&email=a%40b.c');
    for (const error of out.errors) {
      assert.ok(error, `${condition}: the call threw`);
      assert.equal(error.name, 'AdapterError');
      assert.equal(error.code, 'CONFIG');
      assert.ok(error.isAdapterError);
      assert.match(error.message, /Node\.js runtime/);
      assert.match(error.message, /proxy\.ts/);
      assert.match(error.message, /auth\.config\.ts/);
    }
  }
  // Without a condition, the real package (and its addon) loads.
  const { stdout } = await nodeWith([], script);
  assert.ok(JSON.parse(stdout).loaded.some((file) => file.endsWith('.node')));
});

test('browser: the package is server-only (Next.js fails the build of a Client Component)', async () => {
  // Outside Next.js, a browser bundle throws server-only's sentence on load
  // (in Next.js the same import is a build error: the quick-start e2e checks it).
  for (const entry of [
    "await import('nextauth-chatbotkit')",
    "createRequire(import.meta.url)('nextauth-chatbotkit/partner')",
  ]) {
    const { code, stderr } = await nodeWith(
      ['--conditions=browser'],
      `import { createRequire } from 'node:module'; ${entry};`,
    );
    assert.notEqual(code, 0);
    assert.match(stderr, /cannot be imported from a Client Component module/);
  }
});

test('nextauth-chatbotkit-fake-api runs the fake Partner API and prints what to set', async () => {
  const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  const bin = path.join(root, manifest.bin['nextauth-chatbotkit-fake-api']);
  const child = spawn(process.execPath, [bin, '--port', '0', '--secret', 'local-secret'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    const until = Date.now() + 10_000;
    while (!/CHATBOTKIT_API_SECRET=/.test(output)) {
      assert.ok(Date.now() < until, `no URL printed:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const url = /CHATBOTKIT_API_URL=(\S+)/.exec(output)[1];
    assert.match(output, /CHATBOTKIT_API_SECRET=local-secret\n/);
    const adapter = ChatBotKitPartnerAdapter({
      secret: 'local-secret',
      baseUrl: url,
      store: new MemoryStore({ name: 'fake-api-bin' }),
      autoCreateUser: true,
    });
    const user = await adapter.createUser({ email: 'grace@example.com', emailVerified: null });
    assert.match(user.id, /\S/);
    while (!/create \(grace@example\.com\)/.test(output)) {
      assert.ok(Date.now() < until, `the request was not logged:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
  const bad = await new Promise((resolve) =>
    execFile(process.execPath, [bin, '--port', 'x'], (error, stdout, stderr) =>
      resolve({ code: error?.code, stderr }),
    ),
  );
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--port must be a port number/);
});
