// Every native call that returns a promise settles through the one outbox of
// its JS environment (src/napi/outbox.rs, lib/outbox.js): not only adapter
// calls (delivery.test.mjs) but createChatBotKitSession and RedisStore's own
// get/set/del/getdel. So a burst of their answers is handed over a few per
// event-loop turn, a script awaiting one stays alive for it and then exits,
// worker threads each have their own, and a second copy of the package
// loaded into the same environment (a test runner's fresh module registry)
// works next to the first.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { createChatBotKitSession, RedisStore } from '../index.mjs';
import { startFakePartnerApi } from '../testing/index.mjs';
import { startRedis, redisTestOptions } from './helpers/redis.mjs';
import { burst, runScript } from './helpers/process.mjs';

const INDEX = fileURLToPath(new URL('../index.mjs', import.meta.url));
const INDEX_CJS = fileURLToPath(new URL('../index.js', import.meta.url));
const PARTNER_CHILD = fileURLToPath(new URL('./fixtures/partner-child.mjs', import.meta.url));
const SLOW_PROXY = fileURLToPath(new URL('./fixtures/slow-proxy.mjs', import.meta.url));

/** Forks `module` with `args`; gives the child and the first message it sends. */
async function forkReady(module, args) {
  const child = fork(module, args, { stdio: 'ignore' });
  const message = await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('error', reject);
  });
  return { child, message };
}

/** At most 16 per batch, and at most three batches between two turns of the counter. */
function assertFewPerTurn(perTurn, n) {
  const most = Math.max(...perTurn);
  assert.ok(most <= 48, `${most} answers settled in one turn (${perTurn})`);
  assert.ok(perTurn.length >= n / 48, `only ${perTurn.length} turns for ${n} answers`);
}

/** Runs `source` (CommonJS) in a worker thread; gives what it posted once it exited by itself. */
function inWorker(source, workerData) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(source, { eval: true, workerData });
    let answer;
    worker.on('message', (m) => (answer = m));
    worker.on('error', reject);
    worker.on('exit', (code) => (code === 0 ? resolve(answer) : reject(new Error(`exit ${code}`))));
  });
}

describe('createChatBotKitSession settles through the outbox', () => {
  let api;
  before(async () => {
    api = await startFakePartnerApi();
    for (let u = 0; u < 10; u++) api.addUser({ id: `usr_${u}`, email: `user${u}@example.com` });
  });
  after(() => api.close());

  test('a burst of 120 sessions: each caller gets its own, a few per event-loop turn', async () => {
    // The API in another process, so that it answers while this thread is busy.
    const { child, message: remote } = await forkReady(PARTNER_CHILD, ['10', '200']);
    try {
      const options = { secret: remote.secret, baseUrl: remote.url };
      await createChatBotKitSession(options, 'usr_0'); // connection set-up out of the burst
      const n = 120;
      const { answers, perTurn } = await burst(
        n,
        (i) => createChatBotKitSession(options, `usr_${i % 10}`, { durationInSeconds: 60 + i }),
        800,
      );
      assert.equal(new Set(answers.map((s) => s.token)).size, n, 'each caller its own token');
      answers.forEach((s) => assert.ok(s.expiresAt instanceof Date));
      assertFewPerTurn(perTurn, n);
    } finally {
      child.disconnect();
    }
  });

  test('a script awaiting a slow session stays alive for it, then exits by itself', async () => {
    api.setLatency(400);
    try {
      const { code, signal, output, ms } = await runScript(`
        import { createChatBotKitSession } from ${JSON.stringify(INDEX)};
        const options = { secret: ${JSON.stringify(api.secret)}, baseUrl: ${JSON.stringify(api.url)} };
        const session = await createChatBotKitSession(options, 'usr_3');
        console.log('GOT ' + typeof session.token);
      `);
      // Exit code 13 would be Node's "unsettled top-level await": the process
      // ran out of things to wait for before the answer came.
      assert.equal(signal, null, `it did not exit by itself:\n${output}`);
      assert.equal(code, 0, output);
      assert.match(output, /^GOT string$/m);
      assert.ok(ms >= 400, `exited after ${ms.toFixed(0)} ms, before the answer could come`);
    } finally {
      api.setLatency(0);
    }
  });

  test('errors keep their codes: an unknown user, an unset secret', async () => {
    const options = { secret: api.secret, baseUrl: api.url };
    await assert.rejects(createChatBotKitSession(options, 'usr_missing'), {
      code: 'USER_NOT_FOUND',
    });
    await assert.rejects(createChatBotKitSession({ baseUrl: api.url }, 'usr_1'), {
      code: 'CONFIG',
    });
  });
});

describe('RedisStore settles through the outbox', redisTestOptions(), () => {
  let redis;
  before(async () => {
    redis = await startRedis();
  });
  after(() => redis?.close());

  test('a burst of 300 gets: each caller gets its own value, a few per event-loop turn', async () => {
    // Through a proxy in another process that holds Redis's answers 100 ms:
    // none can come back while the calls are made, all arrive while this
    // thread is busy.
    const { child, message: port } = await forkReady(SLOW_PROXY, [String(redis.port), '100']);
    const url = `redis://127.0.0.1:${port}`;
    const store = new RedisStore({ url, keyPrefix: 'burst:', timeout: 5000 });
    try {
      const n = 300;
      await Promise.all(Array.from({ length: n }, (_, i) => store.set(`k${i}`, { i })));
      const { answers, perTurn } = await burst(n, (i) => store.get(`k${i}`), 600);
      answers.forEach((value, i) => assert.deepEqual(value, { i }));
      assertFewPerTurn(perTurn, n);
    } finally {
      store.close();
      child.disconnect();
    }
  });

  test('set, get, getdel and del keep their behaviour and error codes', async () => {
    const store = new RedisStore({ url: redis.url, keyPrefix: 'ops:' });
    try {
      await store.set('a', { x: 1 }, { px: 60_000 });
      assert.deepEqual(await store.get('a'), { x: 1 });
      assert.deepEqual(await store.getdel('a'), { x: 1 });
      assert.equal(await store.get('a'), null);
      await store.set('b', 'text');
      await store.del('b');
      assert.equal(await store.get('b'), null);
      // Settled at once, without a round trip: the envelope's error code.
      await assert.rejects(store.command('nope', 'k'), { code: 'INVALID_INPUT' });
      await assert.rejects(store.command('set', 'k'), { code: 'INVALID_INPUT' });
    } finally {
      store.close();
    }
    const down = new RedisStore({ url: 'redis://127.0.0.1:9', timeout: 300 });
    await assert.rejects(down.get('k'), { code: 'STORE' });
  });

  test('a script awaiting a get stays alive for it, then exits by itself', async () => {
    const seed = new RedisStore({ url: redis.url, keyPrefix: 'slow:' });
    await seed.set('late', 7);
    seed.close();
    // The script reaches Redis through a proxy that holds each answer 400 ms.
    const { code, signal, output, ms } = await runScript(`
      import net from 'node:net';
      import { RedisStore } from ${JSON.stringify(INDEX)};
      const proxy = net.createServer((client) => {
        const upstream = net.connect(${redis.port}, '127.0.0.1');
        upstream.on('data', (d) => setTimeout(() => client.write(d), 400));
        client.on('data', (d) => upstream.write(d));
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
      });
      await new Promise((resolve) => proxy.listen(0, '127.0.0.1', resolve));
      proxy.unref();
      const url = 'redis://127.0.0.1:' + proxy.address().port;
      const store = new RedisStore({ url, keyPrefix: 'slow:', timeout: 5000 });
      const value = await store.get('late');
      console.log('GOT ' + JSON.stringify(value));
    `);
    assert.equal(signal, null, `it did not exit by itself:\n${output}`);
    assert.equal(code, 0, output);
    assert.match(output, /^GOT 7$/m);
    assert.ok(ms >= 400, `exited after ${ms.toFixed(0)} ms, before the answer could come`);
  });

  test('worker threads: each has its own outbox, alongside the main thread', async () => {
    const source = `
      const { parentPort, workerData } = require('node:worker_threads');
      import(workerData.index).then(async ({ RedisStore }) => {
        const store = new RedisStore({ url: workerData.url, keyPrefix: workerData.prefix });
        const keys = Array.from({ length: 50 }, (_, i) => 'k' + i);
        await Promise.all(keys.map((k, i) => store.set(k, i)));
        const values = await Promise.all(keys.map((k) => store.get(k)));
        store.close();
        parentPort.postMessage(values);
      });
    `;
    const expected = Array.from({ length: 50 }, (_, i) => i);
    const main = new RedisStore({ url: redis.url, keyPrefix: 'main:' });
    try {
      const [a, b, here] = await Promise.all([
        inWorker(source, { index: INDEX, url: redis.url, prefix: 'wa:' }),
        inWorker(source, { index: INDEX, url: redis.url, prefix: 'wb:' }),
        Promise.all(expected.map((i) => main.set(`k${i}`, i).then(() => main.get(`k${i}`)))),
      ]);
      assert.deepEqual(a, expected);
      assert.deepEqual(b, expected);
      assert.deepEqual(here, expected);
    } finally {
      main.close();
    }
  });

  test('a second copy of the package in the same environment works next to the first', async () => {
    // What a test runner does that gives each test file a fresh module
    // registry over the one loaded addon: lib/ is evaluated again and
    // registers its own outbox; stores made by either copy keep settling.
    const { code, signal, output } = await runScript(`
      import { createRequire } from 'node:module';
      const require = createRequire(${JSON.stringify(INDEX_CJS)});
      const first = require(${JSON.stringify(INDEX_CJS)});
      const a = new first.RedisStore({ url: ${JSON.stringify(redis.url)}, keyPrefix: 'copy-a:' });
      await a.set('k', 'from a');
      for (const file of Object.keys(require.cache)) {
        if (!file.endsWith('binding.js') && !file.endsWith('.node')) delete require.cache[file];
      }
      const second = require(${JSON.stringify(INDEX_CJS)});
      if (second === first) throw new Error('the package was not loaded again');
      const b = new second.RedisStore({ url: ${JSON.stringify(redis.url)}, keyPrefix: 'copy-b:' });
      await b.set('k', 'from b');
      // Enough calls that some certainly wait for Redis rather than
      // completing on their first poll.
      const got = await Promise.all(
        Array.from({ length: 40 }, (_, i) => (i % 2 ? b : a).get('k')),
      );
      a.close();
      b.close();
      console.log('GOT ' + JSON.stringify([...new Set(got)]));
    `);
    assert.equal(signal, null, `it did not exit by itself:\n${output}`);
    assert.equal(code, 0, output);
    assert.match(output, /^GOT \["from a","from b"\]$/m);
  });
});

// What waits for each call id (lib/outbox.js): a slot per id modulo the
// table's size, and a Map for an id whose slot a longer call still holds.
test('the table of waiting calls: ids sharing a slot each get their own callback', () => {
  const { CallTable } = createRequire(import.meta.url)('../lib/outbox.js');
  const table = new CallTable(4);
  const got = [];
  const callback = (name) => () => got.push(name);
  table.hold(1, callback('one'));
  table.hold(5, callback('five')); // slot 1 is taken: the overflow
  table.hold(9, callback('nine'));
  table.release(5)();
  assert.equal(table.release(5), undefined, 'released once');
  table.release(1)();
  // Slot 1 is free again; 9 still waits in the overflow and is found there.
  table.hold(13, callback('thirteen'));
  table.release(9)();
  table.release(13)();
  assert.deepEqual(got, ['five', 'one', 'nine', 'thirteen']);
  // Held again (a driven call's next step): the newer callback, and only it.
  table.hold(2, callback('first'));
  table.hold(6, callback('six'));
  table.hold(6, callback('six again'));
  table.release(6)();
  assert.equal(table.release(6), undefined);
  table.release(2)();
  assert.deepEqual(got.slice(4), ['six again', 'first']);
  assert.equal(table.release(3), undefined, 'an id never held');
  assert.equal(table.overflow.size, 0, 'nothing left behind');
});
