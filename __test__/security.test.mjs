// Issue 11: races, duplicates and amplification, on every store kind — the
// native MemoryStore and RedisStore (one server and a Cluster), JS objects
// with and without getdel, a Store subclass, and ioredis / node-redis
// clients. Each test is an attack a caller can make with the public API.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

import { ChatBotKitPartnerAdapter, RedisStore } from '../index.js';
import { startFakePartnerApi } from '../testing/index.mjs';
import { partnerAdapter, useFakeApi } from './helpers/api.mjs';
import { MapStore, WITH_REDIS, storeKinds } from './helpers/stores.mjs';
import { lines, useRedisAndCluster } from './helpers/redis.mjs';
import { keys } from './helpers/keys.mjs';
import { rejectsWith } from './helpers/assert.mjs';
import { inMs, oauthAccount, verificationToken } from './helpers/records.mjs';

if (!WITH_REDIS)
  test('redis-backed store kinds', { skip: 'redis-server is not installed' }, () => {});

const api = useFakeApi({}, { reset: true });
const servers = useRedisAndCluster(WITH_REDIS);
let serial = 0;
const uniq = (prefix) => `${prefix}-${process.pid}-${++serial}`;

/** Bytes of every key and value on the Redis nodes given (MEMORY USAGE). */
function redisBytes(nodes) {
  let bytes = 0;
  for (const node of nodes) {
    for (const key of lines(node.cli('KEYS', '*'))) {
      bytes += Number(node.cli('MEMORY', 'USAGE', key)) || 0;
    }
  }
  return bytes;
}

/** Writes a raw record as another process would, whatever the client. */
function writerFor(store) {
  if (typeof store.defineCommand === 'function') {
    return (key, value, px) => store.set(key, JSON.stringify(value), 'PX', px);
  }
  if (typeof store.sendCommand === 'function') {
    return (key, value, px) => store.set(key, JSON.stringify(value), { PX: px });
  }
  return (key, value, px) => store.set(key, value, { px });
}

/** Bytes of [key, value] entries of a JS store. */
const entryBytes = (entries) =>
  entries.reduce((n, [key, value]) => n + key.length + JSON.stringify(value ?? null).length, 0);

/**
 * Every store kind, each with `bytes()`: what the store holds (for
 * MemoryStore, which shows no keys, 64 bytes per entry: a lower bound).
 */
function kinds() {
  const base = storeKinds(servers.redis, servers.cluster);
  const out = {
    memory: async () => {
      const h = await base.memory();
      return { ...h, bytes: () => h.store.size * 64 };
    },
    'js object': async () => {
      const h = await base['js object']();
      return { ...h, bytes: () => entryBytes([...h.store.map].map(([k, e]) => [k, e.value])) };
    },
    'js object without getdel': async () => {
      const h = await base['js object without getdel']();
      return { ...h, bytes: () => entryBytes([...h.store.map].map(([k, e]) => [k, e.value])) };
    },
    'Store subclass': async () => {
      const store = new MapStore();
      return { store, close: async () => {}, bytes: () => entryBytes(store.entries()) };
    },
  };
  if (WITH_REDIS) {
    for (const name of ['redis', 'ioredis', 'node-redis']) {
      out[name] = async () => ({
        ...(await base[name]()),
        bytes: () => redisBytes([servers.redis]),
      });
    }
    out['redis cluster'] = async () => ({
      ...(await base['redis cluster']()),
      bytes: () => redisBytes(servers.cluster.nodes),
    });
    // RedisStore's deprecated keyPrefix, folded into the adapter's keys
    // (Keys): every guarantee holds there too. `rawPrefix`: what starts the
    // raw keys; index members leave it out, as that store always wrote them.
    const prefixed = (options, nodes) => async () => {
      for (const node of nodes()) node.flush();
      const store = new RedisStore({ ...options, keyPrefix: 'myapp:' });
      return {
        store,
        rawPrefix: 'myapp:',
        close: async () => store.close(),
        bytes: () => redisBytes(nodes()),
      };
    };
    out['redis, keyPrefix'] = prefixed({ url: servers.redis?.url }, () => [servers.redis]);
    out['redis cluster, keyPrefix'] = prefixed(
      { cluster: servers.cluster?.urls, timeout: 3000 },
      () => servers.cluster.nodes,
    );
  }
  return out;
}

const KINDS = Object.keys(kinds());

const REDIS_KINDS = [
  'redis',
  'ioredis',
  'node-redis',
  'redis cluster',
  'redis, keyPrefix',
  'redis cluster, keyPrefix',
];

/** The redis-server nodes behind a Redis kind. */
const nodesOf = (kind) =>
  kind.startsWith('redis cluster') ? servers.cluster.nodes : [servers.redis];

/**
 * The members of a per-user index as the store holds them, or undefined for
 * MemoryStore, whose indexes `get()` does not show (its pruning is covered
 * by the Rust unit test `indexes_drop_expired_members_on_add`).
 */
async function indexMembers(kind, h, key) {
  if (kind === 'memory') return undefined;
  if (REDIS_KINDS.includes(kind)) {
    const raw = (h.rawPrefix ?? '') + key;
    // On a cluster only the node that owns the key's slot answers it.
    const owner = nodesOf(kind).find((n) => n.cli('EXISTS', raw) === '1');
    return owner ? lines(owner.cli('ZRANGE', raw, '0', '-1')) : [];
  }
  const raw = await h.store.get(key);
  return raw == null ? [] : Object.keys(raw);
}

const adapterOver = (store, options = {}) =>
  partnerAdapter(api, {
    store,
    retries: 0,
    autoCreateUser: true,
    autoDeleteUser: true,
    ...options,
  });

for (const kind of KINDS) {
  describe(`on the ${kind} store`, () => {
    let h;
    before(async () => {
      h = await kinds()[kind]();
      h.write = writerFor(h.store);
    });
    after(async () => {
      await h?.close();
    });

    // --- High: the attempt limit holds under concurrency --------------------

    test('100 concurrent wrong guesses, then the right code in the same burst: null', async () => {
      const adapter = adapterOver(h.store);
      const identifier = `${uniq('burst')}@example.com`;
      await adapter.createVerificationToken(verificationToken(identifier, 'right-code'));
      // One guess alone first: it also loads the Redis scripts, whose first
      // use would otherwise reorder the burst behind them.
      assert.equal(await adapter.useVerificationToken({ identifier, token: 'wrong' }), null);
      const guesses = Array.from({ length: 99 }, (_, i) =>
        adapter.useVerificationToken({ identifier, token: `wrong-${i}` }),
      );
      // Sent once the guesses are on their way, while they are in flight.
      const right = new Promise(setImmediate).then(() =>
        adapter.useVerificationToken({ identifier, token: 'right-code' }),
      );
      const results = await Promise.all([...guesses, right]);
      assert.deepEqual(
        results.filter((r) => r !== null),
        [],
      );
      assert.equal(await adapter.useVerificationToken({ identifier, token: 'right-code' }), null);
    });

    test('the limit holds across several adapters over one store', async () => {
      const adapters = Array.from({ length: 5 }, () => adapterOver(h.store));
      const identifier = `${uniq('many')}@example.com`;
      await adapters[0].createVerificationToken(verificationToken(identifier, 'right-code'));
      assert.equal(await adapters[1].useVerificationToken({ identifier, token: 'wrong' }), null);
      const guesses = Array.from({ length: 99 }, (_, i) =>
        adapters[i % 5].useVerificationToken({ identifier, token: `wrong-${i}` }),
      );
      const right = new Promise(setImmediate).then(() =>
        adapters[3].useVerificationToken({ identifier, token: 'right-code' }),
      );
      const results = await Promise.all([...guesses, right]);
      assert.equal(results.at(-1), null);
      assert.equal(results.filter((r) => r !== null).length, 0);
    });

    test('within the limit the right code still signs in, once', async () => {
      const adapter = adapterOver(h.store);
      const identifier = `${uniq('fine')}@example.com`;
      await adapter.createVerificationToken(verificationToken(identifier, 'right-code'));
      for (let i = 0; i < 4; i++) {
        assert.equal(await adapter.useVerificationToken({ identifier, token: `typo-${i}` }), null);
      }
      const used = await adapter.useVerificationToken({ identifier, token: 'right-code' });
      assert.equal(used?.token, 'right-code');
      assert.equal(await adapter.useVerificationToken({ identifier, token: 'right-code' }), null);
    });

    // --- Medium: single use belongs to the store, not the adapter -----------

    for (const maxVerificationAttempts of [5, 0]) {
      test(`30 adapters over one store, one token: exactly one winner (limit ${maxVerificationAttempts})`, async () => {
        // A plain store without getdel answers after a pause, as a remote
        // KV would, so that every use reads before any deletes.
        const plain = typeof h.store.getdel !== 'function' && !h.store.sendCommand;
        const store = plain
          ? {
              get: async (k) => (await sleep(2), h.store.get(k)),
              set: (k, v, o) => h.store.set(k, v, o),
              del: (k) => h.store.del(k),
            }
          : h.store;
        const adapters = Array.from({ length: 30 }, () =>
          adapterOver(store, { maxVerificationAttempts }),
        );
        const identifier = `${uniq('once')}@example.com`;
        await adapters[0].createVerificationToken(verificationToken(identifier, 'the-code'));
        const results = await Promise.all(
          adapters.map((a) => a.useVerificationToken({ identifier, token: 'the-code' })),
        );
        assert.equal(results.filter((r) => r !== null).length, 1);
      });
    }

    // --- Medium: no duplicate partner users ---------------------------------

    test('10 concurrent createUser for one email over two adapters make one partner user', async () => {
      api.setLatency(20);
      const [a, b] = [adapterOver(h.store), adapterOver(h.store)];
      const email = `${uniq('dup')}@example.com`;
      const spellings = [email, ` ${email.toUpperCase()} `];
      const settled = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 ? a : b).createUser({ email: spellings[i % 2], emailVerified: null }),
        ),
      );
      const made = [...api.users.values()].filter((u) => u.email?.toLowerCase() === email);
      assert.equal(made.length, 1, 'one partner user');
      assert.equal(made[0].email, email, 'created with the normalised email');
      for (const s of settled) {
        if (s.status === 'fulfilled') assert.equal(s.value.id, made[0].id);
        else assert.equal(s.reason.code, 'DUPLICATE_USER', s.reason.message);
      }
      assert.ok(settled.some((s) => s.status === 'fulfilled'));
    });

    test('a creation lease held by another process is waited for, then its user answers', async () => {
      const adapter = adapterOver(h.store);
      const email = `${uniq('lease')}@example.com`;
      // Another process holds the lease and creates the user meanwhile.
      await h.write(
        keys.userCreation(email),
        { holder: 'another-process', until: Date.now() + 400 },
        400,
      );
      const othersCreate = sleep(100).then(() => api.addUser({ email }));
      const user = await adapter.createUser({ email, emailVerified: null });
      await othersCreate;
      const made = [...api.users.values()].filter((u) => u.email === email);
      assert.equal(made.length, 1);
      assert.equal(user.id, made[0].id);
    });

    // --- Medium: unauthenticated storage amplification ---------------------

    test('250 failed uses for identifiers with no code leave under 4 KiB', async () => {
      const adapter = adapterOver(h.store);
      const before = h.bytes();
      for (let i = 0; i < 250; i++) {
        const identifier =
          i % 2 ? `${'x'.repeat(15_000)}${i}@example.com` : `${uniq('nobody')}@example.com`;
        assert.equal(await adapter.useVerificationToken({ identifier, token: 'guess' }), null);
      }
      const grown = h.bytes() - before;
      assert.ok(grown < 4096, `${grown} bytes`);
    });

    test('identifiers over 320 bytes: INVALID_INPUT to create, null to use, nothing written', async () => {
      const adapter = adapterOver(h.store);
      const before = h.bytes();
      const long = `${'a'.repeat(309)}@example.com`; // 321 bytes
      await rejectsWith(
        adapter.createVerificationToken(verificationToken(long, 'code')),
        'INVALID_INPUT',
      );
      await rejectsWith(
        adapter.createVerificationToken(verificationToken(` ${long} `, 'code')),
        'INVALID_INPUT',
      );
      assert.equal(await adapter.useVerificationToken({ identifier: long, token: 'code' }), null);
      assert.equal(h.bytes(), before);
      const edge = `  ${'a'.repeat(308)}@example.com  `; // 320 bytes once trimmed
      await adapter.createVerificationToken(verificationToken(edge, 'code'));
      assert.equal(
        (await adapter.useVerificationToken({ identifier: edge, token: 'code' }))?.token,
        'code',
      );
    });

    // --- Low: deleteUser racing a write leaves nothing behind ----------------

    test('linkAccount racing deleteUser leaves no account and no index', async () => {
      const adapter = adapterOver(h.store);
      const user = api.addUser({ email: `${uniq('race')}@example.com` });
      const account = oauthAccount(user.id, 'github', uniq('gh'));
      // The user check answers "exists" but arrives after the deletion.
      api.fail({ op: 'fetch', mode: 'delay', delay: 150, apply: true });
      const linking = adapter.linkAccount(account);
      await sleep(30);
      assert.equal(await adapter.deleteUser(user.id), null);
      await rejectsWith(linking, 'USER_NOT_FOUND');
      assert.equal(await adapter.getAccount(account.providerAccountId, 'github'), null);
      assert.equal(await adapter.getUserByAccount(account), null);
      if (h.store.map) {
        assert.equal(h.store.map.has(keys.index(user.id, 'accounts')), false);
      }
    });

    // --- Low: per-user indexes do not grow without bound ---------------------

    test('300 expired sessions leave at most 10 index entries after the next createSession', async () => {
      const adapter = adapterOver(h.store);
      const user = api.addUser({ email: `${uniq('many-sessions')}@example.com` });
      const soon = inMs(1500);
      for (let i = 0; i < 300; i += 50) {
        await Promise.all(
          Array.from({ length: 50 }, (_, j) =>
            adapter.createSession({
              sessionToken: uniq(`old-${i + j}`),
              userId: user.id,
              expires: soon,
            }),
          ),
        );
      }
      const index = keys.index(user.id, 'sessions');
      const before = await indexMembers(kind, h, index);
      if (before) assert.equal(before.length, 300);
      await sleep(soon.getTime() - Date.now() + 50);
      const fresh = uniq('fresh');
      await adapter.createSession({ sessionToken: fresh, userId: user.id, expires: inMs(60_000) });
      const after = await indexMembers(kind, h, index);
      if (after) {
        assert.ok(after.length <= 10, `${after.length} entries`);
        assert.ok(after.includes(keys.session(fresh)));
      }
      // What deleteUser finds through the index is still everything live.
      await adapter.deleteUser(user.id);
      assert.equal(await adapter.getSessionAndUser(fresh), null);
    });

    // A MemoryStore holds nothing an earlier version wrote: no such case there.
    if (kind !== 'memory') {
      test('an index an earlier version wrote (a set, a JSON array) keeps working', async () => {
        const adapter = adapterOver(h.store);
        const user = api.addUser({ email: `${uniq('legacy')}@example.com` });
        const index = keys.index(user.id, 'sessions');
        const old = keys.session(uniq('old-session'));
        if (REDIS_KINDS.includes(kind)) {
          // SADD on the node that owns the slot (the others answer MOVED).
          const raw = (h.rawPrefix ?? '') + index;
          assert.ok(
            nodesOf(kind).some((n) => n.cli('SADD', raw, old) === '1'),
            'the legacy set was written',
          );
        } else {
          await h.store.set(index, [old]);
        }
        const fresh = uniq('fresh');
        await adapter.createSession({
          sessionToken: fresh,
          userId: user.id,
          expires: inMs(60_000),
        });
        const members = (await indexMembers(kind, h, index)).sort();
        assert.deepEqual(members, [old, keys.session(fresh)].sort());
        await adapter.deleteUser(user.id);
        assert.equal(await adapter.getSessionAndUser(fresh), null);
        assert.deepEqual(await indexMembers(kind, h, index), []);
      });
    }
  });
}

// --- Low: createSession racing deleteUser, on stores whose writes can be held ---

describe('createSession racing deleteUser', () => {
  for (const [name, make] of [
    [
      'js object',
      () =>
        storeKinds(null)
          ['js object']()
          .then((h) => h.store),
    ],
    ['Store subclass', async () => new MapStore()],
  ]) {
    test(`on the ${name} store: the session is taken back`, async () => {
      const inner = await make();
      let release;
      const gate = new Promise((resolve) => (release = resolve));
      let held = null;
      // The session write is held until the deletion has finished.
      const store = {
        get: (k) => inner.get(k),
        del: (k) => inner.del(k),
        set: async (k, v, o) => {
          if (k.startsWith('session:')) {
            held?.();
            await gate;
          }
          return inner.set(k, v, o);
        },
      };
      const adapter = adapterOver(store);
      const user = api.addUser({ email: `${uniq('sess')}@example.com` });
      const writing = new Promise((resolve) => (held = resolve));
      const sessionToken = uniq('tok');
      const creating = adapter.createSession({
        sessionToken,
        userId: user.id,
        expires: inMs(60_000),
      });
      await writing;
      assert.equal(await adapter.deleteUser(user.id), null);
      release();
      await rejectsWith(creating, 'USER_NOT_FOUND');
      assert.equal(await inner.get(keys.session(sessionToken)), null);
      assert.equal(await inner.get(keys.index(user.id, 'sessions')), null);
    });
  }
});

// --- Medium: the look-up never answers "no such user" when it cannot know ---

describe('user look-up and creation against the Partner API', () => {
  test('a list that ignores the email filter, user past the page limit: PARTNER_API, no second user', async () => {
    const users = Array.from({ length: 2100 }, (_, i) => ({
      email: `filler-${i}@example.com`,
      createdAt: i + 1,
    }));
    users.push({ id: 'usr_far', email: 'far@example.com', createdAt: 5000 });
    const wide = await startFakePartnerApi({ ignoreEmailFilter: true, users });
    try {
      const adapter = ChatBotKitPartnerAdapter({
        secret: wide.secret,
        baseUrl: wide.url,
        store: new MapStore(),
        retries: 0,
        autoCreateUser: true,
      });
      const e = await rejectsWith(adapter.getUserByEmail('far@example.com'), 'PARTNER_API');
      assert.match(e.message, /ignores the email filter/);
      await rejectsWith(
        adapter.createUser({ email: 'far@example.com', emailVerified: null }),
        'PARTNER_API',
      );
      assert.equal(wide.users.size, 2101, 'no second user');
    } finally {
      await wide.close();
    }
  });

  test('a lost create answer and a lagging list: looked up again after a wait, one user', async () => {
    const lagging = await startFakePartnerApi({ listLag: 250 });
    try {
      const adapter = ChatBotKitPartnerAdapter({
        secret: lagging.secret,
        baseUrl: lagging.url,
        store: new MapStore(),
        retries: 1,
        autoCreateUser: true,
      });
      lagging.fail({ op: 'create', status: 502, apply: true });
      const user = await adapter.createUser({ email: 'lag@example.com', emailVerified: null });
      const made = [...lagging.users.values()].filter((u) => u.email === 'lag@example.com');
      assert.equal(made.length, 1);
      assert.equal(user.id, made[0].id);
    } finally {
      await lagging.close();
    }
  });

  test('an exact-match list filter: created lower-cased, found by any spelling', async () => {
    const exact = await startFakePartnerApi({
      caseSensitiveEmailFilter: true,
      users: [{ id: 'usr_old', email: 'Ada@Example.com' }],
    });
    try {
      const adapter = ChatBotKitPartnerAdapter({
        secret: exact.secret,
        baseUrl: exact.url,
        store: new MapStore(),
        retries: 0,
        autoCreateUser: true,
      });
      const bob = await adapter.createUser({ email: ' Bob@Example.COM ', emailVerified: null });
      assert.equal(exact.users.get(bob.id).email, 'bob@example.com');
      assert.equal(bob.email, 'bob@example.com');
      for (const spelling of ['bob@example.com', 'BOB@example.com', ' Bob@Example.COM ']) {
        assert.equal((await adapter.getUserByEmail(spelling))?.id, bob.id, spelling);
      }
      // A user made elsewhere with capitals: found through the given spelling.
      assert.equal((await adapter.getUserByEmail('Ada@Example.com'))?.id, 'usr_old');
      await rejectsWith(
        adapter.createUser({ email: 'Ada@Example.com', emailVerified: null }),
        'DUPLICATE_USER',
      );
    } finally {
      await exact.close();
    }
  });
});

// --- Low: secrets stay out of messages; no redirects; CONFIG quotes nothing ---

describe('secrets, redirects and configuration', () => {
  const adapterFor = (store = new MapStore()) => partnerAdapter(api, { store, retries: 0 });

  test('Partner API error text never carries the secret or what was sent, whole or cut', async () => {
    const adapter = adapterFor();
    const email = 'victim.person@example.com';
    const bodies = [
      `bad request for ${email} with ${api.secret}`,
      `${'x'.repeat(290)} ${api.secret}`, // our own truncation would cut it
      `token ${api.secret.slice(0, 22)}`, // cut by the server
      `…${api.secret.slice(14)} was refused`,
    ];
    for (const message of bodies) {
      api.fail({ op: 'list', status: 400, body: { message, code: 'BAD_REQUEST' } });
      const e = await rejectsWith(adapter.getUserByEmail(email), 'PARTNER_API');
      for (const piece of [
        api.secret.slice(0, 12),
        api.secret.slice(12, 24),
        api.secret.slice(-10),
      ]) {
        assert.ok(!e.message.includes(piece), `${e.message} leaks ${piece}`);
      }
      assert.ok(!e.message.includes('victim.person'), e.message);
    }
  });

  test('store error text never carries the secret, a token or a value, whole or cut', async () => {
    const store = new MapStore();
    const sessionToken = `sess-${'k'.repeat(40)}-${Date.now()}`;
    store.set = async (key, value) => {
      throw new Error(`ERR ${api.secret.slice(0, 20)} set ${JSON.stringify(value).slice(0, 50)}`);
    };
    const adapter = adapterFor(store);
    const e = await rejectsWith(
      adapter.createSession({ sessionToken, userId: 'usr_x', expires: inMs(60_000) }),
      'STORE',
    );
    assert.ok(!e.message.includes(api.secret.slice(0, 12)), e.message);
    assert.ok(!e.message.includes('kkkkkkkkkk'), e.message);
  });

  test('a 3xx from the Partner API is PARTNER_API and is not followed', async () => {
    let elsewhere = 0;
    const other = http.createServer((req, res) => {
      elsewhere++;
      res.end('{}');
    });
    await new Promise((resolve) => other.listen(0, '127.0.0.1', resolve));
    try {
      const target = `http://127.0.0.1:${other.address().port}/v1/partner/user/list`;
      api.fail({ status: 302, headers: { location: target }, body: '', times: 10 });
      const adapter = ChatBotKitPartnerAdapter({
        secret: api.secret,
        baseUrl: api.url,
        store: new MapStore(),
        retries: 0,
        autoCreateUser: true,
      });
      const e = await rejectsWith(adapter.getUserByEmail('a@example.com'), 'PARTNER_API');
      assert.equal(e.status, 302);
      assert.match(e.message, /redirect/);
      api.clearFaults();
      api.fail({ op: 'create', status: 307, headers: { location: target }, body: '' });
      await rejectsWith(
        adapter.createUser({ email: 'b@example.com', emailVerified: null }),
        'PARTNER_API',
      );
      assert.equal(elsewhere, 0, 'the other server got nothing');
    } finally {
      api.clearFaults();
      await new Promise((resolve) => other.close(resolve));
    }
  });

  test('CONFIG errors about RedisStore options quote no URL or password', async () => {
    for (const options of [
      { cluster: 'redis://:hunter2-secret@10.0.0.1:6379' },
      { url: ['redis://:hunter2-secret@10.0.0.1:6379'] },
      { url: 'redis://:hunter2-secret@10.0.0.1:6379', timeout: 'soon' },
    ]) {
      let caught;
      try {
        new RedisStore(options);
      } catch (e) {
        caught = e;
      }
      assert.equal(caught?.code, 'CONFIG', JSON.stringify(options));
      assert.ok(!caught.message.includes('hunter2'), caught.message);
    }
  });

  test('a keyPrefix with { or } is CONFIG (it would break Cluster hash tags)', () => {
    for (const keyPrefix of ['{app}:', 'app}', '{']) {
      assert.throws(
        () => ChatBotKitPartnerAdapter({ secret: 's', store: new MapStore(), keyPrefix }),
        (e) => e.code === 'CONFIG' && /keyPrefix/.test(e.message),
      );
    }
  });
});
