// Issue 4: the native RedisStore on a Redis Cluster (3 masters made with
// `redis-cli --cluster create`). Keys spread over the nodes by slot; what
// must still hold: every adapter operation works, one user's index keys share
// a slot, and deleteUser removes the user's keys wherever they live.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { RedisStore } from '../index.js';
import { partnerAdapter, useFakeApi } from './helpers/api.mjs';
import { lines, redisTestOptions, startRedisCluster } from './helpers/redis.mjs';
import { keys } from './helpers/keys.mjs';
import { authenticator, inMs, oauthAccount } from './helpers/records.mjs';

const CHILD = fileURLToPath(new URL('./helpers/redis-child.mjs', import.meta.url));

describe('Redis Cluster', redisTestOptions(), () => {
  let cluster;
  const api = useFakeApi();
  let store;
  let adapter;

  /** Every key on every node, with the node's port. */
  const allKeys = () =>
    cluster.nodes.flatMap((n) => lines(n.cli('KEYS', '*')).map((key) => ({ key, port: n.port })));
  const keySlot = (key) => Number(cluster.nodes[0].cli('CLUSTER', 'KEYSLOT', key));
  const flushAll = () => {
    for (const n of cluster.nodes) n.flush();
  };

  before(async () => {
    cluster = await startRedisCluster();
    await api.ready;
    store = new RedisStore({ cluster: cluster.urls, timeout: 3000 });
    adapter = partnerAdapter(api, { store, autoDeleteUser: true });
  });

  after(async () => {
    store?.close();
    await cluster?.close();
  });

  test('the cluster spreads keys: the test is not vacuous', async () => {
    flushAll();
    for (let i = 0; i < 30; i++) await store.set(`spread-${i}`, { i });
    const ports = new Set(allKeys().map((k) => k.port));
    assert.equal(ports.size, 3, 'keys should land on all three masters');
    for (let i = 0; i < 30; i++) assert.deepEqual(await store.get(`spread-${i}`), { i });
    for (let i = 0; i < 30; i++) assert.deepEqual(await store.getdel(`spread-${i}`), { i });
    assert.deepEqual(allKeys(), []);
  });

  test('verification tokens: create, use once, TTL set; concurrent uses give one winner', async () => {
    flushAll();
    const vt = { identifier: 'cluster@example.com', token: 'cluster-token', expires: inMs(60_000) };
    assert.deepEqual(await adapter.createVerificationToken(vt), vt);
    const key = keys.verification(vt.identifier, vt.token);
    const holder = cluster.nodes.find((n) => n.cli('EXISTS', key) === '1');
    assert.ok(holder, 'the token must be on one of the nodes');
    const pttl = Number(holder.cli('PTTL', key));
    assert.ok(pttl > 58_000 && pttl <= 60_000, `PTTL ${pttl}`);

    const used = await adapter.useVerificationToken({ identifier: vt.identifier, token: vt.token });
    assert.deepEqual(used, vt);
    assert.ok(used.expires instanceof Date);
    assert.equal(
      await adapter.useVerificationToken({ identifier: vt.identifier, token: vt.token }),
      null,
    );

    const raced = { identifier: 'race@example.com', token: 'raced', expires: inMs(60_000) };
    await adapter.createVerificationToken(raced);
    const results = await Promise.all(
      Array.from({ length: 200 }, () =>
        adapter.useVerificationToken({ identifier: raced.identifier, token: raced.token }),
      ),
    );
    assert.equal(results.filter((r) => r !== null).length, 1);
  });

  test('sessions, accounts and authenticators round-trip; index keys share a slot', async () => {
    flushAll();
    const user = api.addUser({ email: `cluster-user-${Date.now()}@example.com`, name: 'C' });

    const session = { sessionToken: 'cluster-session', userId: user.id, expires: inMs(3_600_000) };
    assert.deepEqual(await adapter.createSession(session), session);
    const read = await adapter.getSessionAndUser(session.sessionToken);
    assert.deepEqual(read.session, session);
    assert.equal(read.user.id, user.id);
    const sessionHolder = cluster.nodes.find(
      (n) => n.cli('EXISTS', keys.session(session.sessionToken)) === '1',
    );
    const pttl = Number(sessionHolder.cli('PTTL', keys.session(session.sessionToken)));
    assert.ok(Math.abs(pttl - (session.expires - Date.now())) < 1500, `PTTL ${pttl}`);
    const later = inMs(7_200_000);
    assert.deepEqual(
      await adapter.updateSession({ sessionToken: session.sessionToken, expires: later }),
      { ...session, expires: later },
    );

    const account = oauthAccount(user.id, 'github', 'cluster-gh');
    assert.deepEqual(await adapter.linkAccount(account), account);
    assert.deepEqual(await adapter.getAccount('cluster-gh', 'github'), account);
    assert.equal(
      (await adapter.getUserByAccount({ provider: 'github', providerAccountId: 'cluster-gh' }))?.id,
      user.id,
    );

    const a1 = authenticator('cluster-cred-1', user.id);
    const a2 = authenticator('cluster-cred-2', user.id);
    assert.deepEqual(await adapter.createAuthenticator(a1), a1);
    assert.deepEqual(await adapter.createAuthenticator(a2), a2);
    assert.deepEqual(await adapter.getAuthenticator('cluster-cred-1'), a1);
    assert.deepEqual(await adapter.listAuthenticatorsByUserId(user.id), [a1, a2]);
    assert.deepEqual(await adapter.updateAuthenticatorCounter('cluster-cred-2', 7), {
      ...a2,
      counter: 7,
    });
    assert.deepEqual(await adapter.getAuthenticator('cluster-cred-2'), { ...a2, counter: 7 });

    // One user's indexes carry the user id as hash tag: one slot, one node.
    const indexKeys = ['accounts', 'sessions', 'authenticators'].map((kind) =>
      keys.index(user.id, kind),
    );
    const slots = new Set(indexKeys.map(keySlot));
    assert.equal(slots.size, 1, `index keys in slots ${[...slots]}`);
    const holders = new Set(
      allKeys()
        .filter((k) => indexKeys.includes(k.key))
        .map((k) => k.port),
    );
    assert.equal(holders.size, 1);
    for (const key of indexKeys) {
      const node = cluster.nodes.find((n) => n.cli('EXISTS', key) === '1');
      assert.equal(node?.cli('TYPE', key), 'zset', `${key} must be a Redis sorted set`);
    }

    assert.deepEqual(
      await adapter.unlinkAccount({ provider: 'github', providerAccountId: 'cluster-gh' }),
      account,
    );
    assert.equal(await adapter.getAccount('cluster-gh', 'github'), null);
    assert.deepEqual(await adapter.deleteSession(session.sessionToken), {
      ...session,
      expires: later,
    });
    assert.equal(await adapter.getSessionAndUser(session.sessionToken), null);
  });

  test('deleteUser removes the user and all its keys, across nodes, and nothing else', async () => {
    flushAll();
    const doomed = api.addUser({ email: `cluster-doomed-${Date.now()}@example.com` });
    const kept = api.addUser({ email: `cluster-kept-${Date.now()}@example.com` });
    for (const [user, tag] of [
      [doomed, 'doomed'],
      [kept, 'kept'],
    ]) {
      for (let i = 0; i < 3; i++) {
        await adapter.createSession({
          sessionToken: `${tag}-s${i}`,
          userId: user.id,
          expires: inMs(60_000),
        });
        await adapter.linkAccount(oauthAccount(user.id, `provider${i}`, `${tag}-${i}`));
        await adapter.createAuthenticator(authenticator(`${tag}-cred-${i}`, user.id));
      }
    }
    const doomedKeys = allKeys().filter(
      (k) => k.key.includes(':doomed-') || k.key.includes(doomed.id),
    );
    assert.equal(doomedKeys.length, 12);
    assert.ok(new Set(doomedKeys.map((k) => k.port)).size > 1, "the user's keys should span nodes");
    const keptKeys = allKeys()
      .filter((k) => !doomedKeys.some((d) => d.key === k.key))
      .map((k) => k.key)
      .sort();

    assert.equal(await adapter.deleteUser(doomed.id), null);
    assert.equal(api.users.has(doomed.id), false);
    // Left: the other user's keys, and the hour-long mark that makes a write
    // racing the deletion take itself back.
    assert.deepEqual(
      allKeys()
        .map((k) => k.key)
        .sort(),
      [...keptKeys, `user:{${doomed.id}}:deleted`].sort(),
    );
    assert.equal(await adapter.getSessionAndUser('doomed-s0'), null);
    assert.deepEqual(await adapter.listAuthenticatorsByUserId(doomed.id), []);
    assert.equal((await adapter.getSessionAndUser('kept-s0'))?.user.id, kept.id);
  });

  test('a process using a cluster store exits by itself without close()', async () => {
    const started = Date.now();
    const child = spawn(
      process.execPath,
      [CHILD, JSON.stringify({ mode: 'idle', cluster: cluster.urls })],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const [code, signal] = await new Promise((resolve) =>
      child.on('close', (c, s) => resolve([c, s])),
    );
    clearTimeout(killer);
    assert.equal(signal, null, `the child had to be killed after ${Date.now() - started} ms`);
    assert.equal(code, 0, stderr);
    assert.equal(JSON.parse(stdout).result?.token, 'child-token', stdout);
    assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
  });
});
