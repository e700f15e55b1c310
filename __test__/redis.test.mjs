// Issue 4: the native RedisStore (one server) and JS Redis clients passed as
// the store. Every test talks to a real redis-server started for this file
// and reads Redis back with redis-cli, so what is checked is what a
// deployment would find in its Redis, not what the adapter says it wrote.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

import { AdapterError, RedisStore } from '../index.js';
import { partnerAdapter, useFakeApi } from './helpers/api.mjs';
import { lines, redisTestOptions, startRedis } from './helpers/redis.mjs';
import { storeKinds } from './helpers/stores.mjs';
import { keys } from './helpers/keys.mjs';
import { authenticator, inMs, oauthAccount, verificationToken } from './helpers/records.mjs';
import { rejectsWith } from './helpers/assert.mjs';

const CHILD = fileURLToPath(new URL('./helpers/redis-child.mjs', import.meta.url));

// --- the documented key layout (README), to find records in Redis --------

const sorted = (list) => [...list].sort();

// --- small helpers -------------------------------------------------------

/** `fn()` must throw an AdapterError of this code. */
function throwsWithCode(fn, code) {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof AdapterError, `expected an AdapterError, got ${e}`);
    assert.equal(e.code, code, e.message);
    return true;
  });
}

/** The remaining time-to-live (ms) must match a record expiring at `expires`. */
function assertTtlMatches(pttl, expires, label) {
  const expected = expires.getTime() - Date.now();
  assert.ok(pttl > 0, `${label}: no time-to-live in Redis (PTTL ${pttl})`);
  assert.ok(
    Math.abs(pttl - expected) < 1500,
    `${label}: PTTL ${pttl} ms does not match expires (${expected} ms left)`,
  );
}

/** redis-cli signed in with `password` (as the server's own `cli` is not). */
const redisCliAuth = (port, password, ...args) =>
  execFileSync('redis-cli', ['-p', String(port), '--no-auth-warning', '-a', password, ...args], {
    encoding: 'utf8',
  }).trim();

/** Runs redis-child.mjs; resolves with its exit, output and running time. */
function runChild(spec, { killAfterMs = 15_000 } = {}) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, [CHILD, JSON.stringify(spec)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let printedAt = null;
    child.stdout.on('data', (d) => {
      stdout += d;
      printedAt ??= Date.now();
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('error', reject);
    // 'close', not 'exit': by then all of stdout has been read.
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      const exitedAt = Date.now();
      let output = null;
      try {
        output = JSON.parse(stdout.trim().split('\n').pop(), (_k, v) =>
          v !== null && typeof v === 'object' && typeof v.$date === 'number'
            ? new Date(v.$date)
            : v,
        );
      } catch {
        // left null: the assertions below report stdout/stderr
      }
      resolve({
        code,
        signal,
        stdout,
        stderr,
        output,
        ms: exitedAt - started,
        idleMs: printedAt === null ? null : exitedAt - printedAt,
      });
    });
  });
}

describe('Redis', redisTestOptions(), () => {
  let redis;
  const api = useFakeApi();

  before(async () => {
    redis = await startRedis();
  });

  after(async () => {
    await redis?.close();
  });

  /** A RedisStore on the test server; closed by the caller. */
  const makeStore = (options = {}) => new RedisStore({ url: redis.url, timeout: 2000, ...options });

  const makeAdapter = (store, options = {}) => partnerAdapter(api, { store, ...options });

  // --- 1. RedisStore on its own ------------------------------------------

  describe('RedisStore', () => {
    test('get/set/del/getdel round-trip JSON values', async () => {
      redis.flush();
      const store = makeStore();
      try {
        const value = {
          text: 'héllo ✓ "quoted" \n newline',
          number: 12.5,
          flag: true,
          none: null,
          list: [1, 'two', { three: [3] }],
          nested: { deeper: { deepest: { n: -1 } } },
        };
        await store.set('a', value);
        assert.deepEqual(await store.get('a'), value);
        // Stored as JSON text, readable by any other Redis client.
        assert.deepEqual(JSON.parse(redis.cli('GET', 'a')), value);
        assert.equal(redis.cli('PTTL', 'a'), '-1', 'no px: the key must not expire');

        await store.set('a', { replaced: 1 });
        assert.deepEqual(await store.get('a'), { replaced: 1 });

        assert.deepEqual(await store.getdel('a'), { replaced: 1 });
        assert.equal(await store.getdel('a'), null, 'getdel must delete');
        assert.equal(redis.cli('EXISTS', 'a'), '0');

        await store.set('b', ['x']);
        await store.del('b');
        assert.equal(await store.get('b'), null);
        assert.equal(redis.cli('EXISTS', 'b'), '0');

        // Missing keys: null, and deleting one is not an error.
        assert.equal(await store.get('missing'), null);
        assert.equal(await store.getdel('missing'), null);
        await store.del('missing');
      } finally {
        store.close();
      }
    });

    test('px sets a time-to-live with SET ... PX, and the value is gone after it', async () => {
      redis.flush();
      const store = makeStore();
      try {
        redis.cli('CONFIG', 'RESETSTAT');
        await store.set('short', { v: 1 }, { px: 300 });
        const pttl = Number(redis.cli('PTTL', 'short'));
        assert.ok(pttl > 0 && pttl <= 300, `PTTL ${pttl} should be in (0, 300]`);
        // One atomic SET with PX: no SET-then-PEXPIRE window in which a
        // crash would leave the key without an expiry.
        const stats = redis.cli('INFO', 'commandstats');
        assert.match(stats, /cmdstat_set:calls=1,/);
        assert.doesNotMatch(stats, /cmdstat_(p?expire|pexpireat|expireat):/);

        await store.set('long', { v: 2 }, { px: 60_000 });
        const longTtl = Number(redis.cli('PTTL', 'long'));
        assert.ok(longTtl > 59_000 && longTtl <= 60_000, `PTTL ${longTtl}`);

        assert.deepEqual(await store.get('short'), { v: 1 });
        await sleep(450);
        assert.equal(await store.get('short'), null, 'the value must be gone after its px');
        assert.equal(redis.cli('EXISTS', 'short'), '0', 'Redis itself must have expired it');
        assert.deepEqual(await store.get('long'), { v: 2 });

        // Overwriting without px removes the old expiry (plain SET semantics).
        await store.set('long', { v: 3 });
        assert.equal(redis.cli('PTTL', 'long'), '-1');
      } finally {
        store.close();
      }
    });

    test('keyPrefix prefixes every key in Redis', async () => {
      redis.flush();
      const a = makeStore({ keyPrefix: 'app-a:' });
      const b = makeStore({ keyPrefix: 'app-b:' });
      const bare = makeStore();
      try {
        await a.set('k', { from: 'a' }, { px: 60_000 });
        await b.set('k', { from: 'b' });
        assert.deepEqual(sorted(lines(redis.cli('KEYS', '*'))), ['app-a:k', 'app-b:k']);
        assert.deepEqual(JSON.parse(redis.cli('GET', 'app-a:k')), { from: 'a' });
        assert.ok(Number(redis.cli('PTTL', 'app-a:k')) > 0);

        // Two apps sharing one Redis do not see each other's keys.
        assert.deepEqual(await a.get('k'), { from: 'a' });
        assert.deepEqual(await b.get('k'), { from: 'b' });
        assert.equal(await bare.get('k'), null);
        assert.deepEqual(await bare.get('app-a:k'), { from: 'a' });

        assert.deepEqual(await a.getdel('k'), { from: 'a' });
        assert.equal(redis.cli('EXISTS', 'app-a:k'), '0');
        await b.del('k');
        assert.equal(redis.cli('DBSIZE'), '0');
      } finally {
        a.close();
        b.close();
        bare.close();
      }
    });

    test('invalid options throw AdapterError CONFIG at construction', () => {
      throwsWithCode(() => new RedisStore({ url: redis.url, cluster: [redis.url] }), 'CONFIG');
      throwsWithCode(() => new RedisStore({ url: 'not a url' }), 'CONFIG');
      throwsWithCode(() => new RedisStore({ url: 'http://127.0.0.1:6379' }), 'CONFIG');
      throwsWithCode(() => new RedisStore({ cluster: [] }), 'CONFIG');
      throwsWithCode(() => new RedisStore({ cluster: ['not a url'] }), 'CONFIG');
      throwsWithCode(() => new RedisStore({ url: redis.url, timeout: 0 }), 'CONFIG');
      throwsWithCode(() => new RedisStore({ url: redis.url, timeout: 'soon' }), 'CONFIG');
    });

    test('construction does not connect: a store for a down server is made, then fails fast', async () => {
      const started = Date.now();
      // Port 9 (discard): nothing listens there on a test machine.
      const store = new RedisStore({ url: 'redis://127.0.0.1:9', timeout: 1000 });
      assert.ok(Date.now() - started < 200, 'construction must not block');
      try {
        const t = Date.now();
        await rejectsWith(store.get('k'), 'STORE');
        assert.ok(Date.now() - t < 2000, `took ${Date.now() - t} ms`);
      } finally {
        store.close();
      }
    });
  });

  // --- 2. the adapter on RedisStore ----------------------------------------

  describe('the adapter on RedisStore', () => {
    test('verification tokens: stored with a TTL, used once, Dates intact', async () => {
      redis.flush();
      const store = makeStore();
      try {
        const adapter = makeAdapter(store);
        const vt = verificationToken('someone@example.com', 'hashed-token-1');
        assert.deepEqual(await adapter.createVerificationToken(vt), vt);

        const key = keys.verification(vt.identifier, vt.token);
        assertTtlMatches(Number(redis.cli('PTTL', key)), vt.expires, 'verification token');
        // Nothing a token leaves in Redis lives forever.
        for (const k of lines(redis.cli('KEYS', '*'))) {
          assert.ok(Number(redis.cli('PTTL', k)) > 0, `${k} has no time-to-live`);
        }

        const used = await adapter.useVerificationToken({
          identifier: vt.identifier,
          token: vt.token,
        });
        assert.deepEqual(used, vt);
        assert.ok(used.expires instanceof Date);
        assert.equal(redis.cli('EXISTS', key), '0', 'a used token must be deleted');
        assert.equal(
          await adapter.useVerificationToken({ identifier: vt.identifier, token: vt.token }),
          null,
        );
      } finally {
        store.close();
      }
    });

    test("the adapter's keyPrefix prefixes every key it writes", async () => {
      redis.flush();
      const store = makeStore();
      try {
        const adapter = makeAdapter(store, { keyPrefix: 'app1:' });
        const user = api.addUser({ email: `prefix-${Date.now()}@example.com` });
        await adapter.createVerificationToken(verificationToken('p@example.com', 'p-token'));
        await adapter.createSession({
          sessionToken: 'p-sess',
          userId: user.id,
          expires: inMs(60_000),
        });
        await adapter.linkAccount(oauthAccount(user.id, 'github', 'p-gh'));
        const all = lines(redis.cli('KEYS', '*'));
        assert.ok(all.length >= 5, `keys: ${all}`);
        for (const key of all) assert.ok(key.startsWith('app1:'), `${key} is not prefixed`);
        assert.equal(redis.cli('EXISTS', `app1:${keys.session('p-sess')}`), '1');
        assert.equal(redis.cli('TYPE', `app1:${keys.index(user.id, 'sessions')}`), 'zset');
        // An adapter with another prefix on the same Redis sees none of it.
        const other = makeAdapter(store, { keyPrefix: 'app2:' });
        assert.equal(await other.getSessionAndUser('p-sess'), null);
        assert.equal(await other.getAccount('p-gh', 'github'), null);
        assert.equal((await adapter.getSessionAndUser('p-sess'))?.user.id, user.id);
      } finally {
        store.close();
      }
    });

    test('an expired verification token is removed by Redis itself', async () => {
      redis.flush();
      const store = makeStore();
      try {
        const adapter = makeAdapter(store);
        const vt = verificationToken('late@example.com', 'short-lived', 300);
        await adapter.createVerificationToken(vt);
        const key = keys.verification(vt.identifier, vt.token);
        assert.equal(redis.cli('EXISTS', key), '1');
        await sleep(450);
        assert.equal(redis.cli('EXISTS', key), '0', 'the expired token must be gone from Redis');
        assert.deepEqual(
          lines(redis.cli('KEYS', '*')),
          [],
          'nothing of the token may be left behind',
        );
        assert.equal(
          await adapter.useVerificationToken({ identifier: vt.identifier, token: vt.token }),
          null,
        );
      } finally {
        store.close();
      }
    });

    test('500 concurrent useVerificationToken calls for one token: exactly one wins', async () => {
      redis.flush();
      const store = makeStore();
      try {
        const adapter = makeAdapter(store);
        const vt = verificationToken('race@example.com', 'raced-token');
        await adapter.createVerificationToken(vt);
        const results = await Promise.all(
          Array.from({ length: 500 }, () =>
            adapter.useVerificationToken({ identifier: vt.identifier, token: vt.token }),
          ),
        );
        const winners = results.filter((r) => r !== null);
        assert.equal(winners.length, 1, `${winners.length} calls got the token`);
        assert.deepEqual(winners[0], vt);
        assert.equal(redis.cli('EXISTS', keys.verification(vt.identifier, vt.token)), '0');
      } finally {
        store.close();
      }
    });

    test('sessions: TTL in Redis matches expires, and follows updateSession', async () => {
      redis.flush();
      const store = makeStore();
      try {
        const adapter = makeAdapter(store);
        const user = api.addUser({ email: `session-ttl-${Date.now()}@example.com`, name: 'S' });
        const session = { sessionToken: 'sess-ttl', userId: user.id, expires: inMs(3_600_000) };
        assert.deepEqual(await adapter.createSession(session), session);

        const key = keys.session(session.sessionToken);
        assertTtlMatches(Number(redis.cli('PTTL', key)), session.expires, 'session');

        const read = await adapter.getSessionAndUser(session.sessionToken);
        assert.deepEqual(read.session, session);
        assert.ok(read.session.expires instanceof Date);
        assert.equal(read.user.id, user.id);
        assert.equal(read.user.email, user.email);

        // Auth.js extends the session by updating `expires`: the TTL follows.
        const later = inMs(2 * 86_400_000);
        const updated = await adapter.updateSession({
          sessionToken: session.sessionToken,
          expires: later,
        });
        assert.deepEqual(updated, { ...session, expires: later });
        assertTtlMatches(Number(redis.cli('PTTL', key)), later, 'updated session');
      } finally {
        store.close();
      }
    });

    test('per-user indexes are Redis sorted sets, cleaned by deleteSession and unlinkAccount', async () => {
      redis.flush();
      const store = makeStore();
      try {
        const adapter = makeAdapter(store);
        const user = api.addUser({ email: `index-${Date.now()}@example.com` });
        const sessionsKey = keys.index(user.id, 'sessions');
        const accountsKey = keys.index(user.id, 'accounts');
        const authenticatorsKey = keys.index(user.id, 'authenticators');

        for (const token of ['s-1', 's-2']) {
          await adapter.createSession({
            sessionToken: token,
            userId: user.id,
            expires: inMs(60_000),
          });
        }
        for (const [provider, id] of [
          ['github', '101'],
          ['google', 'g:102'],
        ]) {
          await adapter.linkAccount(oauthAccount(user.id, provider, id));
        }
        await adapter.createAuthenticator(authenticator('cred-1', user.id));

        for (const key of [sessionsKey, accountsKey, authenticatorsKey]) {
          assert.equal(redis.cli('TYPE', key), 'zset', `${key} must be a Redis sorted set`);
        }
        assert.deepEqual(sorted(lines(redis.cli('ZRANGE', sessionsKey, '0', '-1'))), [
          keys.session('s-1'),
          keys.session('s-2'),
        ]);
        assert.deepEqual(sorted(lines(redis.cli('ZRANGE', accountsKey, '0', '-1'))), [
          keys.account('github', '101'),
          keys.account('google', 'g:102'),
        ]);
        assert.deepEqual(lines(redis.cli('ZRANGE', authenticatorsKey, '0', '-1')), [
          keys.authenticator('cred-1'),
        ]);

        assert.deepEqual((await adapter.deleteSession('s-1'))?.sessionToken, 's-1');
        assert.equal(redis.cli('EXISTS', keys.session('s-1')), '0');
        assert.deepEqual(lines(redis.cli('ZRANGE', sessionsKey, '0', '-1')), [keys.session('s-2')]);

        await adapter.unlinkAccount({ provider: 'google', providerAccountId: 'g:102' });
        assert.equal(redis.cli('EXISTS', keys.account('google', 'g:102')), '0');
        assert.deepEqual(lines(redis.cli('ZRANGE', accountsKey, '0', '-1')), [
          keys.account('github', '101'),
        ]);
        assert.equal(await adapter.getAccount('g:102', 'google'), null);
        assert.deepEqual(
          await adapter.getAccount('101', 'github'),
          oauthAccount(user.id, 'github', '101'),
        );

        // Emptied sorted sets disappear (Redis drops empty ones).
        await adapter.deleteSession('s-2');
        await adapter.unlinkAccount({ provider: 'github', providerAccountId: '101' });
        assert.equal(redis.cli('EXISTS', sessionsKey), '0');
        assert.equal(redis.cli('EXISTS', accountsKey), '0');
      } finally {
        store.close();
      }
    });

    test('deleteUser removes every key of the user and nothing else', async () => {
      redis.flush();
      const store = makeStore();
      try {
        const adapter = makeAdapter(store, { autoDeleteUser: true });
        const doomed = api.addUser({ email: `doomed-${Date.now()}@example.com` });
        const kept = api.addUser({ email: `kept-${Date.now()}@example.com` });

        for (const [user, tag] of [
          [doomed, 'doomed'],
          [kept, 'kept'],
        ]) {
          await adapter.createSession({
            sessionToken: `${tag}-s1`,
            userId: user.id,
            expires: inMs(60_000),
          });
          await adapter.createSession({
            sessionToken: `${tag}-s2`,
            userId: user.id,
            expires: inMs(60_000),
          });
          await adapter.linkAccount(oauthAccount(user.id, 'github', `${tag}-gh`));
          await adapter.linkAccount(oauthAccount(user.id, 'google', `${tag}-go`));
          await adapter.createAuthenticator(authenticator(`${tag}-cred`, user.id));
        }
        const keptKeys = sorted(
          lines(redis.cli('KEYS', '*')).filter((k) => k.includes(':kept-') || k.includes(kept.id)),
        );
        assert.equal(keptKeys.length, 8);
        assert.equal(lines(redis.cli('KEYS', '*')).length, 16, 'both users have 8 keys each');

        assert.equal(await adapter.deleteUser(doomed.id), null);
        assert.equal(api.users.has(doomed.id), false, 'the partner user must be deleted');

        // Left: the other user's keys, and the hour-long mark that makes a
        // write racing the deletion take itself back.
        assert.deepEqual(
          sorted(lines(redis.cli('KEYS', '*'))),
          sorted([...keptKeys, `user:{${doomed.id}}:deleted`]),
        );
        assert.equal(await adapter.getSessionAndUser('doomed-s1'), null);
        assert.equal(await adapter.getAccount('doomed-gh', 'github'), null);
        assert.equal(await adapter.getAuthenticator('doomed-cred'), null);
        assert.deepEqual(await adapter.listAuthenticatorsByUserId(doomed.id), []);
        // The other user is untouched.
        assert.equal((await adapter.getSessionAndUser('kept-s1'))?.user.id, kept.id);
      } finally {
        store.close();
      }
    });
  });

  // --- 3. two processes, one Redis ----------------------------------------

  describe('across processes', () => {
    test('a token created in one process is used once, by whichever process comes first', async () => {
      redis.flush();
      const identifier = 'cross@example.com';
      const expires = Date.now() + 60_000;

      const created = await runChild({
        mode: 'create',
        url: redis.url,
        identifier,
        token: 'x-1',
        expires,
      });
      assert.equal(created.code, 0, created.stderr);
      assert.equal(redis.cli('EXISTS', keys.verification(identifier, 'x-1')), '1');

      // A second process uses it and gets the record back, Dates intact...
      const used = await runChild({ mode: 'use', url: redis.url, identifier, token: 'x-1' });
      assert.equal(used.code, 0, used.stderr);
      assert.deepEqual(used.output.result, {
        identifier,
        token: 'x-1',
        expires: new Date(expires),
      });
      assert.equal(used.output.expiresIsDate, true);

      // ...so this process, on its own store and adapter, gets null.
      const store = makeStore();
      try {
        const adapter = makeAdapter(store);
        assert.equal(await adapter.useVerificationToken({ identifier, token: 'x-1' }), null);

        // And the other way round: made here, used there, then gone for both.
        const vt = { identifier, token: 'x-2', expires: new Date(expires) };
        await adapter.createVerificationToken(vt);
        const there = await runChild({ mode: 'use', url: redis.url, identifier, token: 'x-2' });
        assert.equal(there.code, 0, there.stderr);
        assert.deepEqual(there.output.result, vt);
        assert.equal(await adapter.useVerificationToken({ identifier, token: 'x-2' }), null);
      } finally {
        store.close();
      }
    });
  });

  // --- 4. the server restarts ---------------------------------------------

  describe('Redis restart', () => {
    test('calls fail fast with STORE while Redis is down, then recover without a new store', async (ctx) => {
      // Its own server, so that stopping it leaves the others alone.
      const own = await startRedis();
      const timeout = 1000;
      const store = new RedisStore({ url: own.url, timeout });
      const adapter = makeAdapter(store);
      try {
        const vt = (token) => verificationToken('restart@example.com', token);
        await adapter.createVerificationToken(vt('before'));

        await own.stop();
        const bound = timeout + 1000;
        const outageStarted = Date.now();
        let calls = 0;
        let slowest = 0;
        // Traffic keeps coming during a ~3 s outage, as it would in production.
        while (Date.now() - outageStarted < 3000) {
          const t = Date.now();
          await rejectsWith(adapter.createVerificationToken(vt(`down-${calls}`)), 'STORE');
          const took = Date.now() - t;
          assert.ok(took < bound, `a call while Redis is down took ${took} ms (bound ${bound})`);
          slowest = Math.max(slowest, took);
          calls++;
          await sleep(20);
        }
        // Concurrent calls too: none may hang.
        const t = Date.now();
        const settled = await Promise.allSettled(
          Array.from({ length: 20 }, (_, i) =>
            adapter.useVerificationToken({ identifier: 'restart@example.com', token: `c-${i}` }),
          ),
        );
        assert.ok(Date.now() - t < bound, `concurrent calls took ${Date.now() - t} ms`);
        for (const s of settled) {
          assert.equal(s.status, 'rejected');
          assert.equal(s.reason.code, 'STORE');
        }

        await own.start();
        const afterToken = vt('after');
        const restartedAt = Date.now();
        let recoveredAfter = null;
        let lastError = null;
        while (Date.now() - restartedAt < 5000) {
          try {
            await adapter.createVerificationToken(afterToken);
            recoveredAfter = Date.now() - restartedAt;
            break;
          } catch (e) {
            assert.equal(e.code, 'STORE', e.message);
            lastError = e;
            await sleep(50);
          }
        }
        assert.notEqual(
          recoveredAfter,
          null,
          `the store did not reconnect within 5 s of Redis coming back (last error: ${lastError?.message})`,
        );
        ctx.diagnostic(
          `${calls} calls failed during the outage (slowest ${slowest} ms); ` +
            `reconnected ${recoveredAfter} ms after the restart`,
        );
        // The recovered connection is fully usable: what was written is read back.
        assert.deepEqual(
          await adapter.useVerificationToken({ identifier: 'restart@example.com', token: 'after' }),
          afterToken,
        );
      } finally {
        store.close();
        await own.close();
      }
    });

    test('a store made while Redis is down works once Redis is up', async (ctx) => {
      const own = await startRedis();
      await own.stop();
      const timeout = 1000;
      const store = new RedisStore({ url: own.url, timeout });
      const adapter = makeAdapter(store);
      try {
        const vt = verificationToken('boot@example.com', 'boot');
        const t = Date.now();
        await rejectsWith(adapter.createVerificationToken(vt), 'STORE');
        assert.ok(Date.now() - t < timeout + 1000, `took ${Date.now() - t} ms`);

        await own.start();
        const startedAt = Date.now();
        let readyAfter = null;
        while (Date.now() - startedAt < 5000) {
          try {
            await adapter.createVerificationToken(vt);
            readyAfter = Date.now() - startedAt;
            break;
          } catch (e) {
            assert.equal(e.code, 'STORE', e.message);
            await sleep(50);
          }
        }
        assert.notEqual(readyAfter, null, 'the store never connected after Redis came up');
        ctx.diagnostic(`first successful call ${readyAfter} ms after Redis came up`);
        assert.deepEqual(
          await adapter.useVerificationToken({ identifier: vt.identifier, token: vt.token }),
          vt,
        );
      } finally {
        store.close();
        await own.close();
      }
    });
  });

  // --- 4b. the connection on the JS thread (src/store/uv_redis.rs) --------
  //
  // An adapter's calls over a RedisStore read and write their own socket on
  // the JS thread. What that connection must get right on its own: writes
  // the socket cannot take at once, replies split across reads, replies
  // matched to calls in order even after a call gave up, and signing in.

  describe('the connection on the JS thread', () => {
    test('a 16 MB value goes through whole, with small calls before and after it in order', async () => {
      redis.flush();
      const store = makeStore({ timeout: 20_000 });
      try {
        const adapter = makeAdapter(store);
        const user = api.addUser({ email: `big-${Date.now()}@example.com` });
        // Far more than a socket takes at once: written in parts as it drains.
        const big = {
          ...oauthAccount(user.id, 'github', 'big'),
          access_token: 'a'.repeat(16 << 20),
        };
        const small = (i) => verificationToken(`small-${i}@example.com`, `t-${i}`);
        const calls = [];
        for (let i = 0; i < 20; i++) calls.push(adapter.createVerificationToken(small(i)));
        // Sent from where a reply was just handed over: with the next calls
        // it starts, held and written after, in parts as the socket drains.
        const linked = adapter.createVerificationToken(small('lead')).then(() => {
          for (let i = 20; i < 40; i++) calls.push(adapter.createVerificationToken(small(i)));
          return adapter.linkAccount(big);
        });
        await linked;
        await Promise.all(calls);
        assert.equal(Number(redis.cli('STRLEN', keys.account('github', 'big'))) > 16 << 20, true);
        // Read back: a reply far longer than one read, among small ones.
        const reads = [];
        for (let i = 0; i < 40; i += 2) {
          reads.push(
            adapter.useVerificationToken({ identifier: `small-${i}@example.com`, token: `t-${i}` }),
          );
        }
        const account = adapter.getAccount('big', 'github');
        for (let i = 1; i < 40; i += 2) {
          reads.push(
            adapter.useVerificationToken({ identifier: `small-${i}@example.com`, token: `t-${i}` }),
          );
        }
        const got = await account;
        assert.equal(got.access_token.length, 16 << 20);
        assert.ok(got.access_token === big.access_token, 'the value came back changed');
        const used = await Promise.all(reads);
        const expected = [
          ...Array.from({ length: 20 }, (_, k) => 2 * k),
          ...Array.from({ length: 20 }, (_, k) => 2 * k + 1),
        ];
        assert.deepEqual(
          used.map((v) => v?.token),
          expected.map((i) => `t-${i}`),
          'each call got its own reply',
        );
      } finally {
        store.close();
      }
    });

    test('calls that gave up at their deadline leave later calls their own replies', async () => {
      redis.flush();
      const timeout = 700;
      const store = makeStore({ timeout });
      try {
        const adapter = makeAdapter(store);
        const use = (token) =>
          adapter.useVerificationToken({ identifier: 'late@example.com', token });
        await adapter.createVerificationToken(verificationToken('late@example.com', 'first'));
        // Another client pauses the other clients for 1 s. The first two
        // calls time out; Redis runs them when the pause ends, so their
        // replies arrive after they gave up, just before those of the next
        // two calls, which were sent after the first two failed.
        redis.cli('CLIENT', 'PAUSE', '1000', 'ALL');
        const pausedAt = Date.now();
        const gaveUp = await Promise.allSettled([
          use('first'),
          adapter.createVerificationToken(verificationToken('late@example.com', 'second')),
        ]);
        assert.ok(Date.now() - pausedAt < timeout + 400, `the deadline did not hold`);
        for (const s of gaveUp) assert.equal(s.reason?.code, 'STORE', String(s.reason));
        const next = Promise.all([
          adapter.createVerificationToken(verificationToken('late@example.com', 'third')),
          // Redis created "second" (the late call) before it runs this.
          use('second'),
        ]);
        const [third, second] = await next;
        assert.ok(
          Date.now() - pausedAt > 1000,
          'the pause was over before the calls were answered',
        );
        assert.equal(third?.token, 'third');
        assert.equal(second?.token, 'second', 'a late reply went to a later call');
        assert.equal(await use('first'), null, 'the call that gave up was still run by Redis');
        assert.equal((await use('third'))?.token, 'third');
      } finally {
        store.close();
      }
    });

    test("it signs in with the URL's user and password and uses its database", async () => {
      const own = await startRedis({ extraArgs: ['--requirepass', 'pa55-secret-word'] });
      own.cli = (...args) => redisCliAuth(own.port, 'pa55-secret-word', ...args);
      own.cli('ACL', 'SETUSER', 'app', 'on', '>app-secret-word', '~*', '+@all');
      const url = (auth, db = '') => `redis://${auth}@127.0.0.1:${own.port}${db}`;
      const stores = [];
      const storeFor = (u) => {
        const store = new RedisStore({ url: u, timeout: 2000 });
        stores.push(store);
        return makeAdapter(store);
      };
      try {
        const token = verificationToken('auth@example.com', 'in-db-3');
        await storeFor(url('app:app-secret-word', '/3')).createVerificationToken(token);
        assert.equal(
          own.cli('-n', '3', 'EXISTS', keys.verification('auth@example.com', 'in-db-3')),
          '1',
        );
        assert.equal(own.cli('-n', '0', 'DBSIZE'), '0', 'nothing in database 0');
        const viaPassword = storeFor(url(':pa55-secret-word', '/3'));
        assert.equal((await viaPassword.useVerificationToken(token))?.token, 'in-db-3');
        for (const wrong of [url(':wrong-secret-word'), url('app:wrong-secret-word'), url('')]) {
          const e = await rejectsWith(storeFor(wrong).createVerificationToken(token), 'STORE');
          assert.doesNotMatch(e.message, /secret-word/, 'no password in the message');
        }
      } finally {
        for (const store of stores) store.close();
        await own.close();
      }
    });
  });

  // --- 5. an idle process exits --------------------------------------------

  describe('idle exit', () => {
    test('a process that used a RedisStore and never closed it exits by itself', async (ctx) => {
      const child = await runChild(
        { mode: 'idle', url: redis.url, token: 'idle-token' },
        { killAfterMs: 10_000 },
      );
      assert.equal(child.signal, null, `the child had to be killed (ran ${child.ms} ms)`);
      assert.equal(child.code, 0, child.stderr);
      assert.equal(child.output?.result?.token, 'idle-token', child.stdout);
      assert.ok(child.idleMs < 5000, `exited ${child.idleMs} ms after its last call`);
      ctx.diagnostic(
        `the child exited ${child.idleMs} ms after its last call (${child.ms} ms in all)`,
      );
    });
  });

  describe('worker threads', () => {
    test('workers one after another each use a RedisStore and end without close(); the process exits cleanly', async () => {
      const child = await runChild(
        { mode: 'workers', url: redis.url, token: 'main-token' },
        { killAfterMs: 20_000 },
      );
      assert.equal(child.signal, null, `the child was killed or crashed (${child.ms} ms)`);
      assert.equal(child.code, 0, child.stderr);
      assert.deepEqual(
        child.output?.result,
        ['worker-0', 'worker-1', 'worker-2', 'worker-exit', 'main-token'],
        child.stdout,
      );
    });
  });

  // --- 6. JS Redis clients as the store ------------------------------------

  // The kinds of helpers/stores.mjs, with what these tests read of Redis.
  const inRedis = {
    pttl: async (key) => Number(redis.cli('PTTL', key)),
    raw: async (key) => redis.cli('GET', key),
    indexMembers: async (key) => redis.cli('ZRANGE', key, '0', '-1').split('\n').filter(Boolean),
  };
  const clients = {
    ioredis: async () => ({ ...(await storeKinds(redis).ioredis()), ...inRedis }),
    'node-redis': async () => ({ ...(await storeKinds(redis)['node-redis']()), ...inRedis }),
    '{ px } object (Upstash / Vercel KV shape)': async () => {
      const { store, close } = await storeKinds(redis)['js object']();
      return {
        store,
        pttl: async (key) => {
          const entry = store.map.get(key);
          if (!entry) return -2;
          return entry.expiresAt === undefined ? -1 : entry.expiresAt - Date.now();
        },
        // What the KV holds: the value as the adapter handed it over.
        raw: async (key) => {
          const entry = store.map.get(key);
          return entry ? JSON.stringify(entry.value) : '';
        },
        // A plain key-value store keeps an index as a JSON object of
        // member → expiry.
        indexMembers: async (key) => Object.keys(store.map.get(key)?.value ?? {}),
        close,
      };
    },
  };

  for (const [name, make] of Object.entries(clients)) {
    describe(`a JS store: ${name}`, () => {
      test('verification tokens: TTL set, used once, Dates intact', async () => {
        redis.flush();
        const client = await make();
        try {
          const adapter = makeAdapter(client.store);
          const vt = verificationToken('js@example.com', `js-token-${name}`);
          assert.deepEqual(await adapter.createVerificationToken(vt), vt);
          const key = keys.verification(vt.identifier, vt.token);
          assertTtlMatches(await client.pttl(key), vt.expires, 'verification token');
          // Dates are kept tagged, so any reader can revive them.
          assert.deepEqual(JSON.parse(await client.raw(key)).expires, {
            $date: vt.expires.getTime(),
          });

          const used = await adapter.useVerificationToken({
            identifier: vt.identifier,
            token: vt.token,
          });
          assert.deepEqual(used, vt);
          assert.ok(used.expires instanceof Date);
          assert.equal(await client.pttl(key), -2, 'a used token must be deleted');
          assert.equal(
            await adapter.useVerificationToken({ identifier: vt.identifier, token: vt.token }),
            null,
          );

          // The client's getdel is used: concurrent uses still give one winner.
          const raced = verificationToken('js@example.com', `raced-${name}`);
          await adapter.createVerificationToken(raced);
          const results = await Promise.all(
            Array.from({ length: 100 }, () =>
              adapter.useVerificationToken({ identifier: raced.identifier, token: raced.token }),
            ),
          );
          assert.equal(results.filter((r) => r !== null).length, 1);
        } finally {
          await client.close();
        }
      });

      test('sessions: TTL set, read back with the user, Dates intact', async () => {
        redis.flush();
        const client = await make();
        try {
          const adapter = makeAdapter(client.store);
          const user = api.addUser({ email: `js-session-${Date.now()}@example.com`, name: 'J' });
          const session = {
            sessionToken: `js-sess-${name}`,
            userId: user.id,
            expires: inMs(86_400_000),
          };
          assert.deepEqual(await adapter.createSession(session), session);
          assertTtlMatches(
            await client.pttl(keys.session(session.sessionToken)),
            session.expires,
            'session',
          );

          const read = await adapter.getSessionAndUser(session.sessionToken);
          assert.deepEqual(read.session, session);
          assert.ok(read.session.expires instanceof Date);
          assert.equal(read.user.id, user.id);
          assert.equal(read.user.email, user.email);
          assert.ok(read.user.emailVerified instanceof Date);

          assert.deepEqual(await adapter.deleteSession(session.sessionToken), session);
          assert.equal(await adapter.getSessionAndUser(session.sessionToken), null);
        } finally {
          await client.close();
        }
      });

      test('accounts: link, get, unlink, with the user index kept', async () => {
        redis.flush();
        const client = await make();
        try {
          const adapter = makeAdapter(client.store);
          const user = api.addUser({ email: `js-account-${Date.now()}@example.com` });
          const account = oauthAccount(user.id, 'github', `js-${name}`);
          assert.deepEqual(await adapter.linkAccount(account), account);
          assert.deepEqual(await adapter.getAccount(account.providerAccountId, 'github'), account);
          assert.equal(
            (
              await adapter.getUserByAccount({
                provider: 'github',
                providerAccountId: account.providerAccountId,
              })
            )?.id,
            user.id,
          );
          const key = keys.account('github', account.providerAccountId);
          assert.equal(await client.pttl(key), -1, 'accounts do not expire');

          // ioredis and node-redis keep the index as a real Redis set (their
          // own SADD / SREM); a plain KV as a JSON array of keys.
          const indexKey = keys.index(user.id, 'accounts');
          assert.deepEqual(await client.indexMembers(indexKey), [key]);

          assert.deepEqual(
            await adapter.unlinkAccount({
              provider: 'github',
              providerAccountId: account.providerAccountId,
            }),
            account,
          );
          assert.equal(await adapter.getAccount(account.providerAccountId, 'github'), null);
          assert.deepEqual(await client.indexMembers(indexKey), [], `index still lists ${key}`);
        } finally {
          await client.close();
        }
      });
    });
  }
});
