// One key prefix: the adapter's `keyPrefix` prefixes every key it uses, on
// every store kind. `RedisStore`'s own `keyPrefix` is a deprecated alias kept
// for existing deployments: an adapter over such a store reads and writes
// exactly the keys earlier versions did (the store's prefix, then the
// adapter's), and the per-user indexes and outstanding-code sets name their
// records without the store's part, as that store wrote them.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { RedisStore } from '../index.js';
import { partnerAdapter, useFakeApi } from './helpers/api.mjs';
import { lines, redisTestOptions, useRedisAndCluster } from './helpers/redis.mjs';
import { WITH_REDIS, runnableKinds, storeKinds } from './helpers/stores.mjs';
import { keys } from './helpers/keys.mjs';
import { authenticator, inMs, oauthAccount, verificationToken } from './helpers/records.mjs';

const api = useFakeApi();
const servers = useRedisAndCluster(WITH_REDIS);

/** Every key on these redis-server nodes. */
const keysOn = (nodes) => nodes.flatMap((n) => lines(n.cli('KEYS', '*'))).sort();

/** Every key a kind holds, where it can be listed. */
function listKeys(kindName, h) {
  if (kindName === 'redis cluster') return keysOn(servers.cluster.nodes);
  if (['redis', 'ioredis', 'node-redis'].includes(kindName)) return keysOn([servers.redis]);
  if (h.store.map instanceof Map) return [...h.store.map.keys()].sort();
  return null; // a MemoryStore does not list its keys
}

describe("the adapter's keyPrefix prefixes every key, on every store kind", () => {
  const kindNames = [...runnableKinds()];
  if (WITH_REDIS) kindNames.push('redis cluster');
  for (const kindName of kindNames) {
    test(kindName, async () => {
      const h = await storeKinds(servers.redis, servers.cluster)[kindName]();
      try {
        const user = api.addUser({ email: `prefix-${kindName.replace(/ /g, '-')}@example.com` });
        const adapter = partnerAdapter(api, {
          store: h.store,
          keyPrefix: 'app:',
          autoDeleteUser: true,
        });
        const vt = verificationToken('prefixed@example.com', 'prefixed-token');
        await adapter.createVerificationToken(vt);
        await adapter.createSession({
          sessionToken: 'pfx-s',
          userId: user.id,
          expires: inMs(60_000),
        });
        await adapter.linkAccount(oauthAccount(user.id, 'github', 'pfx-gh'));
        await adapter.createAuthenticator(authenticator('pfx-cred', user.id));

        for (const key of [
          keys.verification(vt.identifier, vt.token),
          keys.session('pfx-s'),
          keys.account('github', 'pfx-gh'),
          keys.authenticator('pfx-cred'),
        ]) {
          assert.notEqual(await h.read(`app:${key}`), null, `app:${key} is written`);
          assert.equal(await h.read(key), null, `${key} is not written without the prefix`);
        }
        const listed = listKeys(kindName, h);
        if (listed) {
          assert.ok(listed.length >= 8, `keys: ${listed}`);
          for (const key of listed) assert.ok(key.startsWith('app:'), `${key} has no prefix`);
        }

        // Read back through the prefixed keys and indexes.
        assert.equal((await adapter.getSessionAndUser('pfx-s'))?.user.id, user.id);
        assert.equal(
          (await adapter.getUserByAccount({ provider: 'github', providerAccountId: 'pfx-gh' }))?.id,
          user.id,
        );
        assert.deepEqual(
          (await adapter.listAuthenticatorsByUserId(user.id)).map((a) => a.credentialID),
          ['pfx-cred'],
        );
        assert.deepEqual(await adapter.useVerificationToken(vt), vt);
        // deleteUser finds every record through the prefixed indexes.
        assert.equal(await adapter.deleteUser(user.id), null);
        for (const key of [keys.session('pfx-s'), keys.account('github', 'pfx-gh')]) {
          assert.equal(await h.read(`app:${key}`), null, `app:${key} is deleted`);
        }
        assert.equal(await h.read(`app:${keys.authenticator('pfx-cred')}`), null);
        if (listed) {
          assert.deepEqual(listKeys(kindName, h), [`app:${keys.userDeleted(user.id)}`]);
        }
      } finally {
        await h.close();
      }
    });
  }
});

// What an earlier version wrote through `new RedisStore({ keyPrefix: 'myapp:' })`
// under an adapter with `keyPrefix: 'app:'`, written here with redis-cli: the
// record keys carry both prefixes; index and outstanding-set members carry the
// adapter's only (the store added its prefix to keys, not to members).
const OLD = 'myapp:';
const APP = 'app:';
const ms = (date) => ({ $date: date.getTime() });

function writeOldLayout(cli, userId) {
  const identifier = 'old@example.com';
  const expires = inMs(10 * 60_000);
  const session = { expires: ms(inMs(3_600_000)), sessionToken: 'old-s', userId };
  const account = { ...oauthAccount(userId, 'github', 'old-gh') };
  const cred = authenticator('old-cred', userId);
  const set = (key, value) => cli('SET', OLD + APP + key, JSON.stringify(value), 'PX', '3600000');
  for (const token of ['old-t1', 'old-t2']) {
    set(keys.verification(identifier, token), { expires: ms(expires), identifier, token });
    cli(
      'SADD',
      OLD + APP + keys.verificationTokens(identifier),
      APP + keys.verification(identifier, token),
    );
  }
  set(keys.session('old-s'), session);
  cli(
    'ZADD',
    OLD + APP + keys.index(userId, 'sessions'),
    String(session.expires.$date),
    APP + keys.session('old-s'),
  );
  set(keys.account('github', 'old-gh'), account);
  cli(
    'ZADD',
    OLD + APP + keys.index(userId, 'accounts'),
    '+inf',
    APP + keys.account('github', 'old-gh'),
  );
  set(keys.authenticator('old-cred'), cred);
  cli(
    'ZADD',
    OLD + APP + keys.index(userId, 'authenticators'),
    '+inf',
    APP + keys.authenticator('old-cred'),
  );
  // A code @chatbotkit/nextauth issued, as the store then read it: under the
  // store's prefix only.
  cli(
    'SET',
    `${OLD}verificationToken:orig-t`,
    JSON.stringify({ identifier, token: 'orig-t', expires: expires.toISOString() }),
  );
  return { identifier, expires, account, cred };
}

for (const target of ['one server', 'a Redis Cluster']) {
  describe(
    `keys an earlier version wrote through RedisStore({ keyPrefix }), on ${target}`,
    redisTestOptions(),
    () => {
      test('are read, used, indexed and deleted as before', async () => {
        const onCluster = target === 'a Redis Cluster';
        const nodes = onCluster ? servers.cluster.nodes : [servers.redis];
        for (const n of nodes) n.flush();
        // -c: redis-cli follows the cluster's redirections.
        const cli = (...args) => nodes[0].cli('-c', ...args);
        const store = new RedisStore({
          ...(onCluster ? { cluster: servers.cluster.urls } : { url: servers.redis.url }),
          keyPrefix: OLD,
          timeout: 3000,
        });
        try {
          const user = api.addUser({
            email: `upgraded-${onCluster ? 'cluster' : 'single'}@example.com`,
          });
          const old = writeOldLayout(cli, user.id);
          const adapter = partnerAdapter(api, { store, keyPrefix: APP, autoDeleteUser: true });

          const found = await adapter.getSessionAndUser('old-s');
          assert.equal(found?.session.userId, user.id);
          assert.equal(found?.user.id, user.id);
          assert.deepEqual(await adapter.getAccount('old-gh', 'github'), old.account);
          assert.equal(
            (await adapter.getUserByAccount({ provider: 'github', providerAccountId: 'old-gh' }))
              ?.id,
            user.id,
          );
          assert.deepEqual(await adapter.listAuthenticatorsByUserId(user.id), [old.cred]);
          // The store's own methods still add its prefix.
          assert.equal((await store.get(APP + keys.session('old-s')))?.userId, user.id);

          // A code in flight: used once, and taken off the outstanding set.
          const outstanding = OLD + APP + keys.verificationTokens(old.identifier);
          assert.deepEqual(
            await adapter.useVerificationToken({ identifier: old.identifier, token: 'old-t1' }),
            { identifier: old.identifier, token: 'old-t1', expires: old.expires },
          );
          assert.deepEqual(lines(cli('SMEMBERS', outstanding)), [
            APP + keys.verification(old.identifier, 'old-t2'),
          ]);
          // A code the original package issued, where this store read it before.
          assert.equal(
            (await adapter.useVerificationToken({ identifier: old.identifier, token: 'orig-t' }))
              ?.token,
            'orig-t',
          );
          // Five misses void the other outstanding code, found through the set.
          for (let i = 0; i < 5; i++) {
            const miss = { identifier: old.identifier, token: `wrong-${i}` };
            assert.equal(await adapter.useVerificationToken(miss), null);
          }
          assert.equal(cli('EXISTS', OLD + APP + keys.verification(old.identifier, 'old-t2')), '0');
          assert.equal(cli('EXISTS', outstanding), '0');

          // New records go where earlier versions put them.
          await adapter.createSession({
            sessionToken: 'new-s',
            userId: user.id,
            expires: inMs(60_000),
          });
          assert.equal(cli('EXISTS', OLD + APP + keys.session('new-s')), '1');
          assert.deepEqual(
            lines(cli('ZRANGE', OLD + APP + keys.index(user.id, 'sessions'), '0', '-1')).sort(),
            [APP + keys.session('new-s'), APP + keys.session('old-s')],
          );

          // deleteUser finds the old records through the old indexes.
          assert.equal(await adapter.deleteUser(user.id), null);
          const left = keysOn(nodes).filter(
            (key) => key !== `${OLD}${APP}verification-legacy-failures`,
          );
          assert.deepEqual(left, [OLD + APP + keys.userDeleted(user.id)]);
        } finally {
          store.close();
        }
      });
    },
  );
}
