// The whole Auth.js adapter contract (see ADAPTER_CONTRACT.md), once per
// adapter family (partner users, contacts) and store kind: every method, every `null` case, dates in and out, and what each
// method leaves in the store, read back through the store itself (not only
// through the adapter).
import { describe, test, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { AdapterError, MemoryStore } from '../index.js';
import { partnerAdapter, useFakeApi } from './helpers/api.mjs';
import {
  WITH_REDIS,
  freshMemoryStore,
  mapStore,
  runnableKinds,
  storeKinds,
} from './helpers/stores.mjs';
import { startRedis } from './helpers/redis.mjs';
import { keys as key } from './helpers/keys.mjs';
import { ADAPTER_METHODS } from './helpers/records.mjs';
import { rejectsWith } from './helpers/assert.mjs';
import { FAMILIES } from './helpers/families.mjs';

const KINDS = runnableKinds();

const api = useFakeApi();
let redis = null;

before(async () => {
  if (WITH_REDIS) redis = await startRedis();
});

after(async () => {
  await redis?.close();
});

// --- store keys and raw records ---------------------------------------------

test('key encoding helper matches the documented layout', () => {
  assert.equal(key.verification('a@b.co', 't'), 'verification:{a%40b%2Eco}:t');
  assert.equal(key.account('git:hub', '1'), 'account:git%3Ahub:1');
  assert.equal(key.index('u{1}', 'sessions'), 'user:{u%7B1%7D}:sessions');
  assert.equal(key.authenticator('c/d'), 'authenticator:c%2Fd');
});

/** A raw stored record with its tagged dates (`{"$date": ms}`) revived. */
function revive(raw) {
  if (raw == null) return raw;
  return JSON.parse(JSON.stringify(raw), (_k, v) =>
    v !== null &&
    typeof v === 'object' &&
    !Array.isArray(v) &&
    Object.keys(v).length === 1 &&
    typeof v.$date === 'number'
      ? new Date(v.$date)
      : v,
  );
}

const inMs = (ms) => new Date(Date.now() + ms);
// How far ahead the expiry tests put a short expiry (they then wait 100 ms
// past it). Runs under an emulator (npm run test:platforms: qemu, Wine) are
// many times slower and set a longer one.
const SHORT_MS = Number(process.env.TEST_SHORT_EXPIRY_MS) || 150;
let serial = 0;
const uniq = (prefix) => `${prefix}-${process.pid}-${++serial}`;

const SUITES = Object.values(FAMILIES).flatMap((family) =>
  KINDS.map((kindName) => ({ family, kindName })),
);

for (const { family, kindName } of SUITES) {
  describe(`contract (${family.name}) on the ${kindName} store`, () => {
    let h; // { store, read, close }
    let adapter;

    beforeEach(async () => {
      h = await storeKinds(redis)[kindName]();
      adapter = family.adapter(api, h.store, { create: true, delete: true });
    });

    afterEach(async () => {
      await h?.close();
    });

    const read = async (k) => revive(await h.read(k));

    /**
     * Members of a per-user index, or `undefined` where the store cannot show
     * them: MemoryStore keeps indexes where `get()` does not see them, the
     * native RedisStore and the ioredis / node-redis clients keep a Redis
     * sorted set scored by expiry (read with ZRANGE), other JS stores a JSON
     * object of member → expiry.
     */
    const redisSets = ['redis', 'ioredis', 'node-redis'].includes(kindName);
    async function indexMembers(k) {
      if (kindName === 'memory') {
        assert.equal(await h.read(k), null, 'a MemoryStore index is not a text record');
        return undefined;
      }
      if (redisSets) {
        const out = redis.cli('ZRANGE', k, '0', '-1');
        return out === '' ? [] : out.split('\n').sort();
      }
      const raw = await h.read(k);
      return raw == null ? [] : Object.keys(raw).sort();
    }

    async function assertIndex(k, expected) {
      const members = await indexMembers(k);
      if (members !== undefined) assert.deepEqual(members, [...expected].sort(), k);
    }

    /** Entries in a MemoryStore (records and index sets); other kinds: skipped. */
    function assertMemorySize(n) {
      if (h.store instanceof MemoryStore) assert.equal(h.store.size, n, 'MemoryStore entries');
    }

    /** A verified user made in ChatBotKit, outside the adapter. */
    const newUser = (fields = {}) =>
      family.seed(api, {
        email: `${uniq('u')}@example.com`,
        ...family.verifiedAt(Date.now()),
        ...fields,
      });
    const people = () => family.people(api);

    // --- the adapter object ------------------------------------------------

    test('is a plain object of every contract method, callable unbound', async () => {
      const names = ADAPTER_METHODS;
      assert.equal(Object.getPrototypeOf(adapter), Object.prototype);
      assert.deepEqual(Object.keys(adapter).sort(), [...names].sort());
      for (const name of names) assert.equal(typeof adapter[name], 'function', name);
      const { getUser } = adapter;
      assert.equal(await getUser('usr_nobody'), null);
    });

    // --- users (ChatBotKit) --------------------------------------------------

    describe('users', () => {
      test('createUser returns the new user; getUser / getUserByEmail find it', async () => {
        const email = `${uniq('new')}@example.com`;
        const emailVerified = new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678));
        const created = await adapter.createUser({
          email,
          emailVerified,
          name: 'Ada Lovelace',
          image: 'https://example.com/ada.png',
        });
        assert.equal(typeof created.id, 'string');
        assert.ok(people().has(created.id), 'the user exists in ChatBotKit');
        assert.deepEqual(created, {
          id: created.id,
          email,
          emailVerified,
          name: 'Ada Lovelace',
          image: 'https://example.com/ada.png',
        });
        assert.ok(created.emailVerified instanceof Date);
        assert.deepEqual(await adapter.getUser(created.id), created);
        assert.deepEqual(await adapter.getUserByEmail(email), created);
      });

      test('createUser with emailVerified null keeps it null', async () => {
        const email = `${uniq('oauth')}@example.com`;
        const created = await adapter.createUser({ email, emailVerified: null, name: 'Bob' });
        assert.equal(created.emailVerified, null);
        assert.equal((await adapter.getUser(created.id)).emailVerified, null);
      });

      test('createUser refuses a duplicate email (DUPLICATE_USER)', async () => {
        const existing = newUser();
        await rejectsWith(
          adapter.createUser({ email: existing.email, emailVerified: null }),
          'DUPLICATE_USER',
        );
      });

      test('createUser refuses without autoCreateUser (CREATE_DISABLED)', async () => {
        const strict = family.adapter(api, h.store);
        const before = people().size;
        await rejectsWith(
          strict.createUser({ email: `${uniq('no')}@example.com`, emailVerified: null }),
          'CREATE_DISABLED',
        );
        assert.equal(people().size, before);
      });

      test('getUser / getUserByEmail give null for unknown users', async () => {
        assert.equal(await adapter.getUser('usr_does_not_exist'), null);
        assert.equal(await adapter.getUserByEmail(`${uniq('nobody')}@example.com`), null);
      });

      test('a ChatBotKit user is mapped with its verification date', async () => {
        const u = newUser({ name: 'Grace', ...family.verifiedAt(Date.UTC(2023, 5, 1)) });
        assert.deepEqual(await adapter.getUser(u.id), {
          id: u.id,
          email: u.email,
          emailVerified: new Date(Date.UTC(2023, 5, 1)),
          name: 'Grace',
          image: null,
        });
      });

      test('updateUser changes only the given fields and returns the whole user', async () => {
        const u = newUser({ name: 'Keep Me', image: 'https://example.com/k.png' });
        const emailVerified = new Date(Date.UTC(2025, 1, 3, 4, 5, 6, 7));
        const updated = await adapter.updateUser({ id: u.id, emailVerified });
        assert.deepEqual(updated, {
          id: u.id,
          email: u.email,
          emailVerified,
          name: 'Keep Me',
          image: 'https://example.com/k.png',
        });
        assert.deepEqual(await adapter.getUser(u.id), updated);
        const renamed = await adapter.updateUser({ id: u.id, name: 'New Name' });
        assert.deepEqual(renamed, { ...updated, name: 'New Name' });
        assert.deepEqual(await adapter.getUser(u.id), renamed);
      });

      test('updateUser of an unknown user → USER_NOT_FOUND', async () => {
        await rejectsWith(
          adapter.updateUser({ id: 'usr_missing', emailVerified: new Date() }),
          'USER_NOT_FOUND',
        );
      });
    });

    // --- accounts ------------------------------------------------------------

    describe('accounts', () => {
      const fullAccount = (userId, overrides = {}) => ({
        userId,
        type: 'oauth',
        provider: 'github',
        providerAccountId: '583231',
        access_token: 'gho_16C7e42F292c6912E7710c838347Ae178B4a',
        refresh_token: 'ghr_1B4a2e77838347a7E420ce178F2E7c6912E169246c',
        expires_at: 1767225600,
        refresh_token_expires_in: 15897600,
        token_type: 'bearer',
        scope: 'read:user user:email',
        id_token: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiI1ODMyMzEifQ.c2lnbmF0dXJl',
        session_state: null,
        oauth_token: null,
        oauth_token_secret: null,
        not_before: 0,
        ext_expires_in: 3599.5,
        ...overrides,
      });

      test('linkAccount keeps every field; getAccount returns it deep-equal', async () => {
        const u = newUser();
        const account = fullAccount(u.id);
        const linked = await adapter.linkAccount(account);
        assert.deepEqual(linked, account);
        assert.deepEqual(await adapter.getAccount('583231', 'github'), account);
        assert.deepEqual(await read(key.account('github', '583231')), account);
        await assertIndex(key.index(u.id, 'accounts'), [key.account('github', '583231')]);
        assertMemorySize(2);
      });

      test('a user may have many accounts', async () => {
        const u = newUser();
        const accounts = [
          fullAccount(u.id),
          fullAccount(u.id, {
            provider: 'google',
            providerAccountId: '10769150350006150715113082367',
            token_type: 'Bearer',
          }),
          {
            userId: u.id,
            type: 'oidc',
            provider: 'auth0',
            providerAccountId: 'auth0_abc',
            access_token: 'x',
          },
          { userId: u.id, type: 'email', provider: 'email', providerAccountId: u.email },
        ];
        for (const a of accounts) assert.deepEqual(await adapter.linkAccount(a), a);
        const expectedUser = await adapter.getUser(u.id);
        for (const a of accounts) {
          assert.deepEqual(await adapter.getAccount(a.providerAccountId, a.provider), a);
          assert.deepEqual(await read(key.account(a.provider, a.providerAccountId)), a);
          assert.deepEqual(
            await adapter.getUserByAccount({
              provider: a.provider,
              providerAccountId: a.providerAccountId,
            }),
            expectedUser,
          );
        }
        await assertIndex(
          key.index(u.id, 'accounts'),
          accounts.map((a) => key.account(a.provider, a.providerAccountId)),
        );
        assertMemorySize(accounts.length + 1);
      });

      test('linking to a user unknown to ChatBotKit → USER_NOT_FOUND, nothing written', async () => {
        const account = fullAccount('usr_ghost', { providerAccountId: 'ghost-1' });
        await rejectsWith(adapter.linkAccount(account), 'USER_NOT_FOUND');
        assert.equal(await h.read(key.account('github', 'ghost-1')), null);
        assert.equal(await adapter.getAccount('ghost-1', 'github'), null);
        await assertIndex(key.index('usr_ghost', 'accounts'), []);
        assertMemorySize(0);
      });

      test('getUserByAccount → the user; null for an unknown account', async () => {
        const u = newUser({ name: 'Linked' });
        await adapter.linkAccount(fullAccount(u.id, { providerAccountId: 'by-account' }));
        const user = await adapter.getUserByAccount({
          provider: 'github',
          providerAccountId: 'by-account',
        });
        assert.deepEqual(user, await adapter.getUser(u.id));
        assert.equal(user.id, u.id);
        assert.equal(
          await adapter.getUserByAccount({ provider: 'github', providerAccountId: 'nope' }),
          null,
        );
        assert.equal(
          await adapter.getUserByAccount({ provider: 'gitlab', providerAccountId: 'by-account' }),
          null,
        );
      });

      test('getUserByAccount → null when the linked user was deleted in ChatBotKit', async () => {
        const u = newUser();
        await adapter.linkAccount(fullAccount(u.id, { providerAccountId: 'orphan' }));
        people().delete(u.id);
        assert.equal(
          await adapter.getUserByAccount({ provider: 'github', providerAccountId: 'orphan' }),
          null,
        );
      });

      test('getAccount → null for an unknown account', async () => {
        assert.equal(await adapter.getAccount('nope', 'github'), null);
      });

      test('unlinkAccount removes the record and its index entry', async () => {
        const u = newUser();
        const a1 = fullAccount(u.id, { providerAccountId: 'one' });
        const a2 = fullAccount(u.id, { provider: 'google', providerAccountId: 'two' });
        await adapter.linkAccount(a1);
        await adapter.linkAccount(a2);
        assertMemorySize(3);

        await adapter.unlinkAccount({ provider: 'github', providerAccountId: 'one' });
        assert.equal(await adapter.getAccount('one', 'github'), null);
        assert.equal(await h.read(key.account('github', 'one')), null);
        assert.equal(
          await adapter.getUserByAccount({ provider: 'github', providerAccountId: 'one' }),
          null,
        );
        await assertIndex(key.index(u.id, 'accounts'), [key.account('google', 'two')]);
        assert.deepEqual(await adapter.getAccount('two', 'google'), a2);
        assertMemorySize(2);

        await adapter.unlinkAccount({ provider: 'google', providerAccountId: 'two' });
        assert.equal(await h.read(key.account('google', 'two')), null);
        await assertIndex(key.index(u.id, 'accounts'), []);
        assert.equal(await h.read(key.index(u.id, 'accounts')), null, 'an empty index is removed');
        assertMemorySize(0);
      });

      test('unlinkAccount of an unknown account does not throw', async () => {
        const result = await adapter.unlinkAccount({
          provider: 'github',
          providerAccountId: 'never',
        });
        assert.ok(result == null);
      });
    });

    // --- sessions ------------------------------------------------------------

    describe('sessions', () => {
      test('createSession returns it; getSessionAndUser → { session, user }', async () => {
        const u = newUser({ name: 'Session User' });
        const expires = new Date(Date.now() + 30 * 24 * 3600 * 1000);
        const session = { sessionToken: uniq('tok'), userId: u.id, expires };
        assert.deepEqual(await adapter.createSession(session), session);
        assert.deepEqual(await read(key.session(session.sessionToken)), session);
        await assertIndex(key.index(u.id, 'sessions'), [key.session(session.sessionToken)]);

        const found = await adapter.getSessionAndUser(session.sessionToken);
        assert.deepEqual(found, { session, user: await adapter.getUser(u.id) });
        assert.ok(found.session.expires instanceof Date);
        assert.equal(found.session.expires.getTime(), expires.getTime());
        assert.ok(found.user.emailVerified instanceof Date);
      });

      test('getSessionAndUser → null for an unknown token', async () => {
        assert.equal(await adapter.getSessionAndUser('no-such-session'), null);
      });

      test('a session is null once its expires has passed', async () => {
        const u = newUser();
        const session = { sessionToken: uniq('short'), userId: u.id, expires: inMs(SHORT_MS) };
        await adapter.createSession(session);
        assert.deepEqual((await adapter.getSessionAndUser(session.sessionToken))?.session, session);
        assert.notEqual(await h.read(key.session(session.sessionToken)), null);
        await sleep(SHORT_MS + 100);
        // The store let it go by itself (a time-to-live was set), and the adapter agrees.
        assert.equal(await h.read(key.session(session.sessionToken)), null);
        assert.equal(await adapter.getSessionAndUser(session.sessionToken), null);
      });

      test('a session that has already expired is never returned', async () => {
        const u = newUser();
        const session = {
          sessionToken: uniq('past'),
          userId: u.id,
          expires: new Date(Date.now() - 1000),
        };
        assert.deepEqual(await adapter.createSession(session), session);
        assert.equal(await adapter.getSessionAndUser(session.sessionToken), null);
      });

      test('a session whose user was deleted in ChatBotKit → null', async () => {
        const u = newUser();
        const session = { sessionToken: uniq('orphan'), userId: u.id, expires: inMs(60_000) };
        await adapter.createSession(session);
        assert.ok(await adapter.getSessionAndUser(session.sessionToken));
        people().delete(u.id);
        assert.equal(await adapter.getSessionAndUser(session.sessionToken), null);
        // The void session is cleaned up with its index entry.
        assert.equal(await h.read(key.session(session.sessionToken)), null);
        await assertIndex(key.index(u.id, 'sessions'), []);
      });

      test('a session whose user was deleted through the ChatBotKit API → null', async () => {
        const u = newUser();
        const session = { sessionToken: uniq('deleted'), userId: u.id, expires: inMs(60_000) };
        await adapter.createSession(session);
        const res = await fetch(`${api.url}${family.deletePath(u.id)}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${api.secret}`, 'content-type': 'application/json' },
          body: '{}',
        });
        assert.equal(res.status, 200);
        assert.equal(await adapter.getSessionAndUser(session.sessionToken), null);
      });

      test('updateSession changes expires and returns the merged session', async () => {
        const u = newUser();
        const session = { sessionToken: uniq('upd'), userId: u.id, expires: inMs(60_000) };
        await adapter.createSession(session);
        const later = new Date(Date.now() + 7 * 24 * 3600 * 1000);
        const updated = await adapter.updateSession({
          sessionToken: session.sessionToken,
          expires: later,
        });
        assert.deepEqual(updated, { ...session, expires: later });
        assert.deepEqual(await read(key.session(session.sessionToken)), {
          ...session,
          expires: later,
        });
        const found = await adapter.getSessionAndUser(session.sessionToken);
        assert.equal(found.session.expires.getTime(), later.getTime());
        await assertIndex(key.index(u.id, 'sessions'), [key.session(session.sessionToken)]);
      });

      test('updateSession → null for an unknown token, and writes nothing', async () => {
        assert.equal(
          await adapter.updateSession({ sessionToken: 'no-such-session', expires: inMs(60_000) }),
          null,
        );
        assert.equal(await h.read(key.session('no-such-session')), null);
        assertMemorySize(0);
      });

      test('deleteSession removes the record and its index entry', async () => {
        const u = newUser();
        const s1 = { sessionToken: uniq('del1'), userId: u.id, expires: inMs(60_000) };
        const s2 = { sessionToken: uniq('del2'), userId: u.id, expires: inMs(60_000) };
        await adapter.createSession(s1);
        await adapter.createSession(s2);
        await assertIndex(key.index(u.id, 'sessions'), [
          key.session(s1.sessionToken),
          key.session(s2.sessionToken),
        ]);
        assertMemorySize(3);

        await adapter.deleteSession(s1.sessionToken);
        assert.equal(await adapter.getSessionAndUser(s1.sessionToken), null);
        assert.equal(await h.read(key.session(s1.sessionToken)), null);
        await assertIndex(key.index(u.id, 'sessions'), [key.session(s2.sessionToken)]);
        assert.deepEqual((await adapter.getSessionAndUser(s2.sessionToken)).session, s2);
        assertMemorySize(2);

        await adapter.deleteSession(s2.sessionToken);
        assert.equal(await h.read(key.session(s2.sessionToken)), null);
        await assertIndex(key.index(u.id, 'sessions'), []);
        assertMemorySize(0);
      });

      test('deleteSession of an unknown token does not throw', async () => {
        const result = await adapter.deleteSession('never-existed');
        assert.ok(result == null);
      });
    });

    // --- authenticators ------------------------------------------------------

    describe('authenticators', () => {
      const authenticator = (userId, credentialID, overrides = {}) => ({
        credentialID,
        userId,
        providerAccountId: credentialID,
        credentialPublicKey: 'pQECAyYgASFYIBtXVsNvKq0c4Yb9mDsm7i9yLsoQyG0vMXGH3bGi_eKnIlgg',
        counter: 0,
        credentialDeviceType: 'singleDevice',
        credentialBackedUp: false,
        transports: 'internal,hybrid',
        ...overrides,
      });

      test('createAuthenticator returns it; getAuthenticator reads it back', async () => {
        const u = newUser();
        const a = authenticator(u.id, 'AAECAwQFBgcICQoLDA0ODw');
        assert.deepEqual(await adapter.createAuthenticator(a), a);
        assert.deepEqual(await adapter.getAuthenticator(a.credentialID), a);
        assert.deepEqual(await read(key.authenticator(a.credentialID)), a);
        await assertIndex(key.index(u.id, 'authenticators'), [key.authenticator(a.credentialID)]);
      });

      test('transports null and a backed-up multi-device credential are kept', async () => {
        const u = newUser();
        const a = authenticator(u.id, 'multi_device-1', {
          transports: null,
          credentialDeviceType: 'multiDevice',
          credentialBackedUp: true,
          counter: 42,
        });
        await adapter.createAuthenticator(a);
        assert.deepEqual(await adapter.getAuthenticator(a.credentialID), a);
      });

      test('getAuthenticator → null for an unknown credentialID', async () => {
        assert.equal(await adapter.getAuthenticator('unknown-credential'), null);
      });

      test("listAuthenticatorsByUserId lists all of a user's, [] for none", async () => {
        const u = newUser();
        const other = newUser();
        const mine = [authenticator(u.id, 'cred-b'), authenticator(u.id, 'cred-a', { counter: 7 })];
        for (const a of mine) await adapter.createAuthenticator(a);
        await adapter.createAuthenticator(authenticator(other.id, 'cred-other'));
        const byId = (x, y) => x.credentialID.localeCompare(y.credentialID);
        const listed = await adapter.listAuthenticatorsByUserId(u.id);
        assert.deepEqual([...listed].sort(byId), [...mine].sort(byId));
        assert.deepEqual(await adapter.listAuthenticatorsByUserId(other.id), [
          authenticator(other.id, 'cred-other'),
        ]);
        assert.deepEqual(await adapter.listAuthenticatorsByUserId('usr_without_any'), []);
        assert.deepEqual(await adapter.listAuthenticatorsByUserId(newUser().id), []);
      });

      test('updateAuthenticatorCounter returns the updated authenticator', async () => {
        const u = newUser();
        const a = authenticator(u.id, 'counted', { counter: 1 });
        await adapter.createAuthenticator(a);
        const updated = await adapter.updateAuthenticatorCounter('counted', 2);
        assert.deepEqual(updated, { ...a, counter: 2 });
        assert.deepEqual(await adapter.getAuthenticator('counted'), { ...a, counter: 2 });
        assert.deepEqual(await read(key.authenticator('counted')), { ...a, counter: 2 });
        assert.deepEqual(await adapter.listAuthenticatorsByUserId(u.id), [{ ...a, counter: 2 }]);
      });

      test('updateAuthenticatorCounter of an unknown credentialID throws an AdapterError', async () => {
        await assert.rejects(adapter.updateAuthenticatorCounter('missing', 3), (e) => {
          assert.ok(e instanceof AdapterError);
          assert.equal(e.code, 'NOT_FOUND');
          return true;
        });
        assert.equal(await h.read(key.authenticator('missing')), null);
      });
    });

    // --- deleteUser cascade ----------------------------------------------------

    describe('deleteUser', () => {
      async function populate(u, tag) {
        const sessions = [1, 2].map((n) => ({
          sessionToken: `${tag}-session-${n}`,
          userId: u.id,
          expires: inMs(3_600_000),
        }));
        const accounts = [
          {
            userId: u.id,
            type: 'oauth',
            provider: 'github',
            providerAccountId: `${tag}-gh`,
            access_token: 'a',
          },
          {
            userId: u.id,
            type: 'oidc',
            provider: 'google',
            providerAccountId: `${tag}-g`,
            expires_at: 1,
          },
        ];
        const authenticators = [1, 2].map((n) => ({
          credentialID: `${tag}-cred-${n}`,
          userId: u.id,
          providerAccountId: `${tag}-cred-${n}`,
          credentialPublicKey: 'pk',
          counter: n,
          credentialDeviceType: 'singleDevice',
          credentialBackedUp: false,
          transports: null,
        }));
        for (const s of sessions) await adapter.createSession(s);
        for (const a of accounts) await adapter.linkAccount(a);
        for (const a of authenticators) await adapter.createAuthenticator(a);
        return {
          records: [
            ...sessions.map((s) => key.session(s.sessionToken)),
            ...accounts.map((a) => key.account(a.provider, a.providerAccountId)),
            ...authenticators.map((a) => key.authenticator(a.credentialID)),
          ],
          indexes: ['sessions', 'accounts', 'authenticators'].map((k) => key.index(u.id, k)),
          sessions,
          accounts,
          authenticators,
        };
      }

      test("with autoDeleteUser removes the user's sessions, accounts and authenticators", async () => {
        const doomed = newUser();
        const keeper = newUser();
        const gone = await populate(doomed, 'doomed');
        const kept = await populate(keeper, 'keeper');
        for (const k of gone.records) assert.notEqual(await h.read(k), null, k);
        assertMemorySize(2 * (6 + 3));

        await adapter.deleteUser(doomed.id);

        assert.equal(people().has(doomed.id), false, 'deleted in ChatBotKit');
        assert.equal(await adapter.getUser(doomed.id), null);
        for (const k of gone.records) assert.equal(await h.read(k), null, k);
        for (const k of gone.indexes) {
          await assertIndex(k, []);
          if (redisSets) assert.equal(redis.cli('EXISTS', k), '0', k);
          else assert.equal(await h.read(k), null, k);
        }
        assert.equal(await adapter.getSessionAndUser(gone.sessions[0].sessionToken), null);
        assert.equal(await adapter.getAccount(`doomed-gh`, 'github'), null);
        assert.deepEqual(await adapter.listAuthenticatorsByUserId(doomed.id), []);

        // Another user's records stay; the deleted user is marked for an
        // hour, so that a write racing the deletion takes itself back.
        for (const k of kept.records) assert.notEqual(await h.read(k), null, k);
        assert.equal(await h.read(key.userDeleted(doomed.id)), true);
        assertMemorySize(6 + 3 + 1);
        assert.deepEqual(
          (await adapter.getSessionAndUser(kept.sessions[0].sessionToken)).session,
          kept.sessions[0],
        );
        assert.deepEqual(await adapter.getAccount('keeper-gh', 'github'), kept.accounts[0]);
        assert.equal((await adapter.listAuthenticatorsByUserId(keeper.id)).length, 2);
      });

      test('without autoDeleteUser refuses (DELETE_DISABLED) and keeps everything', async () => {
        const u = newUser();
        const { records } = await populate(u, 'safe');
        const strict = family.adapter(api, h.store);
        await rejectsWith(strict.deleteUser(u.id), 'DELETE_DISABLED');
        assert.ok(people().has(u.id));
        for (const k of records) assert.notEqual(await h.read(k), null, k);
      });

      test('of a user unknown to ChatBotKit → USER_NOT_FOUND', async () => {
        await rejectsWith(adapter.deleteUser('usr_never_was'), 'USER_NOT_FOUND');
      });
    });

    // --- verification tokens --------------------------------------------------

    describe('verification tokens', () => {
      const vt = (overrides = {}) => ({
        identifier: 'ada@example.com',
        token: 'a3f1c9e0d2b4f6a8c0e2d4b6f8a0c2e4d6b8f0a2c4e6d8b0f2a4c6e8d0b2f4a6',
        expires: inMs(15 * 60_000),
        ...overrides,
      });

      test('createVerificationToken stores it until expires; it can be used once', async () => {
        const token = vt();
        assert.deepEqual(await adapter.createVerificationToken(token), token);
        assert.deepEqual(await read(key.verification(token.identifier, token.token)), token);

        const used = await adapter.useVerificationToken({
          identifier: token.identifier,
          token: token.token,
        });
        assert.deepEqual(used, token);
        assert.ok(used.expires instanceof Date);
        assert.equal(await h.read(key.verification(token.identifier, token.token)), null);
        assert.equal(
          await adapter.useVerificationToken({ identifier: token.identifier, token: token.token }),
          null,
        );
      });

      test('useVerificationToken → null for an unknown token', async () => {
        assert.equal(
          await adapter.useVerificationToken({ identifier: 'ada@example.com', token: 'nope' }),
          null,
        );
      });

      test('a mistyped code gives null and does not void the real one', async () => {
        const token = vt({ token: 'tok-mistyped' });
        await adapter.createVerificationToken(token);
        assert.equal(
          await adapter.useVerificationToken({
            identifier: token.identifier,
            token: 'tok-mistypes',
          }),
          null,
        );
        assert.deepEqual(
          await adapter.useVerificationToken({ identifier: token.identifier, token: token.token }),
          token,
        );
      });

      test('useVerificationToken → null when the identifier does not match (and does not consume it)', async () => {
        const token = vt({ token: 'tok-identifier' });
        await adapter.createVerificationToken(token);
        assert.equal(
          await adapter.useVerificationToken({ identifier: 'eve@example.com', token: token.token }),
          null,
        );
        assert.deepEqual(
          await adapter.useVerificationToken({ identifier: token.identifier, token: token.token }),
          token,
        );
      });

      test('an identifier differing in case or spaces matches, answering in the spelling asked', async () => {
        // Auth.js compares the returned identifier with the one it asked
        // with, exactly: answering in the caller's spelling signs the user
        // in instead of burning the code over a difference of case.
        const token = vt({ token: 'tok-case' });
        await adapter.createVerificationToken(token);
        assert.deepEqual(
          await adapter.useVerificationToken({
            identifier: ' Ada@Example.com',
            token: token.token,
          }),
          { ...token, identifier: ' Ada@Example.com' },
        );
        assert.equal(
          await adapter.useVerificationToken({
            identifier: token.identifier,
            token: token.token,
          }),
          null,
        );
      });

      test('useVerificationToken → null once expires has passed', async () => {
        const token = vt({ token: 'tok-short', expires: inMs(SHORT_MS) });
        await adapter.createVerificationToken(token);
        assert.notEqual(await h.read(key.verification(token.identifier, token.token)), null);
        await sleep(SHORT_MS + 100);
        assert.equal(await h.read(key.verification(token.identifier, token.token)), null);
        assert.equal(
          await adapter.useVerificationToken({ identifier: token.identifier, token: token.token }),
          null,
        );
      });

      test('a token created already expired is never usable', async () => {
        const token = vt({ token: 'tok-past', expires: new Date(Date.now() - 1000) });
        assert.deepEqual(await adapter.createVerificationToken(token), token);
        assert.equal(
          await adapter.useVerificationToken({ identifier: token.identifier, token: token.token }),
          null,
        );
      });

      test('many different tokens of one identifier are each usable once', async () => {
        const first = vt({ token: 'tok-first' });
        const second = vt({ token: 'tok-second' });
        await adapter.createVerificationToken(first);
        await adapter.createVerificationToken(second);
        const use = (token) =>
          adapter.useVerificationToken({ identifier: first.identifier, token: token.token });
        assert.deepEqual(await use(second), second);
        assert.deepEqual(await use(first), first);
        assert.equal(await use(first), null);
        assert.equal(await use(second), null);
      });

      test('two identifiers with the same token are separate records', async () => {
        const a = vt({ identifier: 'a@example.com', token: 'same' });
        const b = vt({ identifier: 'b@example.com', token: 'same', expires: inMs(60_000) });
        await adapter.createVerificationToken(a);
        await adapter.createVerificationToken(b);
        assert.deepEqual(
          await adapter.useVerificationToken({ identifier: 'b@example.com', token: 'same' }),
          b,
        );
        assert.deepEqual(
          await adapter.useVerificationToken({ identifier: 'a@example.com', token: 'same' }),
          a,
        );
      });

      test('two concurrent uses: exactly one gets the token', async () => {
        for (let round = 0; round < 10; round++) {
          const token = vt({ token: `race-${round}` });
          await adapter.createVerificationToken(token);
          const results = await Promise.all(
            Array.from({ length: 5 }, () =>
              adapter.useVerificationToken({ identifier: token.identifier, token: token.token }),
            ),
          );
          assert.equal(results.filter((r) => r !== null).length, 1, `round ${round}`);
        }
      });
    });
  });
}

// --- the adapter object as Auth.js handles it --------------------------------
// (from the former exports.test.mjs; its shape is checked per family and
// store kind by "is a plain object of every contract method" above)

describe('the adapter object', () => {
  const makeAdapter = () => partnerAdapter(api, { retries: 0 });

  test('every method returns a promise', async () => {
    const adapter = makeAdapter();
    for (const name of ADAPTER_METHODS) {
      const result = adapter[name]();
      assert.ok(result instanceof Promise, `${name}() did not return a promise`);
      await result.catch(() => {}); // missing arguments: a rejection is fine
    }
  });

  test('methods work when called unbound, as Auth.js calls them', async () => {
    const seeded = api.addUser({ email: `unbound.${Date.now()}@example.com`, name: 'Unbound' });
    const { getUser, getUserByEmail, createVerificationToken, useVerificationToken } =
      makeAdapter();
    const user = await getUser(seeded.id);
    assert.equal(user?.id, seeded.id);
    assert.equal((await getUserByEmail(seeded.email))?.id, seeded.id);
    assert.equal((await getUser.call(undefined, seeded.id))?.id, seeded.id);
    assert.equal((await getUser.call({ unrelated: true }, seeded.id))?.id, seeded.id);

    const vt = {
      identifier: seeded.email,
      token: 'unbound-token',
      expires: new Date(Date.now() + 60_000),
    };
    await createVerificationToken(vt);
    assert.deepEqual(
      await useVerificationToken({ identifier: vt.identifier, token: vt.token }),
      vt,
    );
  });

  test('a copy made with spread or Object.entries still works', async () => {
    const seeded = api.addUser({ email: `spread.${Date.now()}@example.com` });
    const adapter = makeAdapter();
    const spread = { ...adapter };
    const rebuilt = Object.fromEntries(Object.entries(adapter).map(([k, fn]) => [k, fn]));
    assert.equal((await spread.getUser(seeded.id))?.id, seeded.id);
    assert.equal((await rebuilt.getUser(seeded.id))?.id, seeded.id);
  });
});

// --- verification tokens: time-to-live and single use under load -------------
// (from the former tokens.test.mjs: what the store is handed, and uses by
// the hundred, on the single-process stores)

describe('verification tokens on the single-process stores', () => {
  const makeAdapter = (store) => partnerAdapter(api, { store, retries: 0 });
  let seq = 0;
  function freshToken(ttlMs = 10 * 60_000) {
    seq += 1;
    return {
      identifier: `person${seq}@example.com`,
      token: `hashed-token-${seq}-${Math.random().toString(16).slice(2)}`,
      expires: new Date(Date.now() + ttlMs),
    };
  }
  const tokenKey = (vt) => key.verification(vt.identifier, vt.token);

  test('the MemoryStore entry is gone after expiry', async () => {
    const store = freshMemoryStore();
    const adapter = makeAdapter(store);
    assert.equal(store.size, 0);
    const vt = freshToken(50);
    await adapter.createVerificationToken(vt);
    const key = tokenKey(vt);
    assert.ok(await store.get(key), `the token is held at ${key} until it expires`);
    await sleep(120);
    // The entry carried a time-to-live: it reads as gone, and a sweep drops
    // it (and anything else kept for this token) from memory.
    assert.equal(await store.get(key), null);
    store.sweep();
    assert.equal(store.size, 0, 'something of the expired token is still held');
  });

  test('a JS store is given px: the time left until expires', async () => {
    const sets = [];
    const inner = mapStore({ withGetdel: true });
    const store = {
      ...inner,
      async set(key, value, options) {
        sets.push({ key, value, options });
        return inner.set(key, value, options);
      },
    };
    const adapter = makeAdapter(store);
    const vt = freshToken(60_000);
    await adapter.createVerificationToken(vt);
    const tokenSets = sets.filter((s) => s.key === tokenKey(vt));
    assert.equal(tokenSets.length, 1, `sets: ${sets.map((s) => s.key).join(', ')}`);
    // Whatever else is written for the token ends with it too.
    for (const { key, options } of sets) assert.ok(options?.px > 0, `${key} has no px`);
    const px = tokenSets[0].options?.px;
    assert.equal(typeof px, 'number');
    assert.ok(px > 55_000 && px <= 60_000, `px = ${px}`);
  });

  for (const kind of ['memory', 'js object']) {
    test(`200 concurrent uses of one token: exactly one wins (${kind})`, async () => {
      const adapter = makeAdapter((await storeKinds(null)[kind]()).store);
      const vt = freshToken();
      await adapter.createVerificationToken(vt);
      const params = { identifier: vt.identifier, token: vt.token };
      const results = await Promise.all(
        Array.from({ length: 200 }, () => adapter.useVerificationToken(params)),
      );
      const winners = results.filter((r) => r !== null);
      assert.equal(winners.length, 1, `${winners.length} uses succeeded`);
      assert.deepEqual(winners[0], vt);
    });
  }

  test('a JS store without getdel: used tokens leave nothing behind', async () => {
    const store = mapStore();
    assert.equal(store.getdel, undefined);
    const adapter = makeAdapter(store);
    for (let i = 0; i < 5; i++) {
      const vt = freshToken();
      await adapter.createVerificationToken(vt);
      const params = { identifier: vt.identifier, token: vt.token };
      assert.deepEqual(await adapter.useVerificationToken(params), vt);
      assert.equal(await adapter.useVerificationToken(params), null);
    }
    // None of the used tokens is left behind.
    const left = [...store.map.keys()].filter((k) => k.startsWith('verification:'));
    assert.deepEqual(left, []);
  });
});
