// How results of calls that had to wait reach JavaScript (src/napi/outbox.rs,
// lib/outbox.js): each to its own caller, a few per event-loop turn so a
// burst cannot hold the loop, keeping the process alive while a call is in
// flight and not after, in the main thread and in worker threads alike.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { ChatBotKitPartnerAdapter, MemoryStore, RedisStore } from '../index.mjs';
import { partnerAdapter, useFakeApi } from './helpers/api.mjs';
import { burst, runScript } from './helpers/process.mjs';
import { redisTestOptions, startRedis } from './helpers/redis.mjs';
import { verificationToken } from './helpers/records.mjs';

const INDEX = fileURLToPath(new URL('../index.mjs', import.meta.url));
const PARTNER_CHILD = fileURLToPath(new URL('./fixtures/partner-child.mjs', import.meta.url));

const USERS = 300;
const api = useFakeApi({
  users: Array.from({ length: USERS }, (_, u) => ({
    id: `usr_${u}`,
    email: `user${u}@example.com`,
  })),
});
const makeAdapter = () => partnerAdapter(api);

/**
 * 300 getUser calls whose answers all arrive while this thread is busy (a
 * page rendering, say), so that they are all waiting when the event loop
 * next turns. `then(user)` is the awaiting code's own work. Gives the users
 * and how many results each turn of the event loop delivered.
 */
async function burstOfGetUser(adapter, then = () => {}) {
  await adapter.getUser('usr_0'); // connection set-up out of the burst
  const { answers, perTurn } = await burst(
    USERS,
    async (u) => {
      const user = await adapter.getUser(`usr_${u}`);
      then(user);
      return user;
    },
    600,
  );
  return { users: answers, perTurn };
}

describe('results of calls that wait', () => {
  let child;
  let remote;
  before(async () => {
    // The API in another process, so that it answers while this thread is busy.
    child = fork(PARTNER_CHILD, [String(USERS), '200'], { stdio: 'ignore' });
    remote = await new Promise((resolve, reject) => {
      child.once('message', resolve);
      child.once('error', reject);
    });
  });
  after(() => child.disconnect());

  const remoteAdapter = () =>
    ChatBotKitPartnerAdapter({
      secret: remote.secret,
      baseUrl: remote.url,
      store: new MemoryStore(),
    });

  test('a burst of 300 answers: each caller gets its own, a few per event-loop turn', async () => {
    const { users, perTurn } = await burstOfGetUser(remoteAdapter());
    users.forEach((user, u) => assert.equal(user?.id, `usr_${u}`));
    const most = Math.max(...perTurn);
    // At most 16 results per batch; between two turns of the counter at most
    // three batches run (check phase, poll phase, check phase).
    assert.ok(most <= 48, `${most} results in one turn (${perTurn})`);
    assert.ok(perTurn.length >= USERS / 48, `only ${perTurn.length} turns for ${USERS} results`);
  });

  test('when the awaiting code is slow, fewer results per turn', async () => {
    // 0.5 ms of work after each answer: a batch of 16 would hold the loop
    // for 8 ms; the outbox notices and hands over one or two per turn.
    const { users, perTurn } = await burstOfGetUser(remoteAdapter(), () => {
      const until = performance.now() + 0.5;
      while (performance.now() < until);
    });
    users.forEach((user, u) => assert.equal(user?.id, `usr_${u}`));
    const later = perTurn.slice(5).sort((a, b) => a - b);
    const median = later[later.length >> 1];
    assert.ok(median <= 2, `median ${median} results per turn (${perTurn})`);
  });

  test('a script awaiting a slow call stays alive for it, then exits by itself', async () => {
    api.setLatency(400);
    try {
      const script = `
        import { ChatBotKitPartnerAdapter, MemoryStore } from ${JSON.stringify(INDEX)};
        const adapter = ChatBotKitPartnerAdapter({
          secret: ${JSON.stringify(api.secret)},
          baseUrl: ${JSON.stringify(api.url)},
          store: new MemoryStore(),
        });
        const user = await adapter.getUser('usr_7');
        console.log('GOT ' + user.id);
      `;
      const { code, signal, output, ms } = await runScript(script, { limitMs: 10_000 });
      // Exit code 13 would be Node's "unsettled top-level await": the process
      // ran out of things to wait for before the answer came.
      assert.equal(signal, null, `it did not exit by itself:\n${output}`);
      assert.equal(code, 0, output);
      assert.match(output, /^GOT usr_7$/m);
      assert.ok(ms >= 400, `exited after ${ms.toFixed(0)} ms, before the answer could come`);
    } finally {
      api.setLatency(0);
    }
  });

  test('worker threads: each has its own delivery, alongside the main thread', async () => {
    api.setLatency(50);
    try {
      const source = `
        const { parentPort, workerData } = require('node:worker_threads');
        import(workerData.index).then(async ({ ChatBotKitPartnerAdapter, MemoryStore }) => {
          const adapter = ChatBotKitPartnerAdapter({
            secret: workerData.secret,
            baseUrl: workerData.url,
            store: new MemoryStore(),
          });
          const ids = workerData.ids;
          const users = await Promise.all(ids.map((id) => adapter.getUser(id)));
          parentPort.postMessage(users.map((user) => user && user.id));
        });
      `;
      const inWorker = (ids) =>
        new Promise((resolve, reject) => {
          const worker = new Worker(source, {
            eval: true,
            workerData: { index: INDEX, secret: api.secret, url: api.url, ids },
          });
          let answer;
          worker.on('message', (m) => (answer = m));
          worker.on('error', reject);
          // The worker ends by itself once its calls are answered.
          worker.on('exit', (code) =>
            code === 0 ? resolve(answer) : reject(new Error(`exit ${code}`)),
          );
        });
      const ids = (from) => Array.from({ length: 40 }, (_, i) => `usr_${from + i}`);
      const adapter = makeAdapter();
      const [a, b, main] = await Promise.all([
        inWorker(ids(0)),
        inWorker(ids(100)),
        Promise.all(ids(200).map((id) => adapter.getUser(id))),
      ]);
      assert.deepEqual(a, ids(0));
      assert.deepEqual(b, ids(100));
      assert.deepEqual(
        main.map((user) => user?.id),
        ids(200),
      );
    } finally {
      api.setLatency(0);
    }
  });
});

// A RedisStore's replies are read on the JS thread (src/store/uv_redis.rs) and
// handed to JS in the same libuv callback, not through the threadsafe
// function: the same batching must hold there.
describe('results read from Redis on the JS thread', redisTestOptions(), () => {
  let redis;
  before(async () => {
    redis = await startRedis();
  });
  after(() => redis?.close());

  test('a burst of 300 replies: each caller gets its own, a few per event-loop turn', async () => {
    const store = new RedisStore({ url: redis.url, timeout: 5000 });
    try {
      const redisAdapter = ChatBotKitPartnerAdapter({
        secret: api.secret,
        baseUrl: api.url,
        store,
      });
      const vt = (i) => verificationToken(`burst-${i}@example.com`, `t-${i}`);
      await redisAdapter.createVerificationToken(vt('first')); // the connection, made
      // All 300 replies are in the socket when the loop next turns: one read.
      const { answers, perTurn } = await burst(
        300,
        (i) => redisAdapter.createVerificationToken(vt(i)),
        600,
      );
      answers.forEach((answer, i) => assert.equal(answer?.token, `t-${i}`));
      const most = Math.max(...perTurn);
      assert.ok(most <= 48, `${most} results in one turn (${perTurn})`);
      assert.ok(perTurn.length >= 300 / 48, `only ${perTurn.length} turns for 300 results`);
    } finally {
      store.close();
    }
  });
});
