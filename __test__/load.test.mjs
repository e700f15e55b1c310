// Load on the Partner API: a burst of sign-ins for one user (a page that
// fires many requests at once) must not become a burst of Partner API calls.
// Identical lookups in flight share one call; different ones are never
// merged; the optional cache answers repeats and is cleared by writes.
import { describe, test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { AdapterError } from '../index.mjs';
import { partnerAdapter, useFakeApi } from './helpers/api.mjs';

const api = useFakeApi({ latency: 50 }, { reset: true }); // reset: latency back to 50 ms
let ada;

beforeEach(() => {
  ada = api.addUser({ email: 'ada@example.com', name: 'Ada' });
});

const makeAdapter = (extra = {}) => partnerAdapter(api, { retryDelay: 20, ...extra });

const times = (n, fn) => Promise.all(Array.from({ length: n }, (_, i) => fn(i)));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

describe('concurrent identical lookups share one call', () => {
  test('50 concurrent getUserByEmail for one email: 1 list call, 50 equal answers', async () => {
    const adapter = makeAdapter();
    const started = performance.now();
    const users = await times(50, () => adapter.getUserByEmail('ada@example.com'));
    const ms = performance.now() - started;
    assert.equal(api.calls('list'), 1);
    assert.equal(api.calls(), 1);
    for (const user of users) assert.equal(user?.id, ada.id);
    // Each caller gets its own object: one caller changing it cannot change another's.
    assert.notEqual(users[0], users[1]);
    users[0].name = 'mutated';
    assert.equal(users[1].name, 'Ada');
    assert.ok(ms < 1000, `took ${ms.toFixed(0)} ms`);
  });

  test('spellings of one email (case, spaces) share the call too', async () => {
    const adapter = makeAdapter();
    const spellings = [
      'ada@example.com',
      'ADA@example.com',
      ' Ada@Example.com ',
      'ada@EXAMPLE.COM',
    ];
    const users = await times(40, (i) => adapter.getUserByEmail(spellings[i % spellings.length]));
    for (const user of users) assert.equal(user?.id, ada.id);
    assert.equal(api.calls('list'), 1);
  });

  test('50 concurrent getUser for one id: 1 fetch call', async () => {
    const adapter = makeAdapter();
    const users = await times(50, () => adapter.getUser(ada.id));
    assert.equal(api.calls('fetch'), 1);
    assert.equal(api.calls(), 1);
    for (const user of users) assert.equal(user?.id, ada.id);
  });

  test('a shared "not found" is null for everyone, from 1 call', async () => {
    const adapter = makeAdapter();
    const users = await times(30, () => adapter.getUserByEmail('nobody@example.com'));
    assert.deepEqual(new Set(users), new Set([null]));
    assert.equal(api.calls('list'), 1);
  });

  test('a shared failure reaches every caller as the same AdapterError, from 1 call', async () => {
    const adapter = makeAdapter({ retries: 0 });
    api.fail({ op: 'fetch', status: 500 });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 30 }, () => adapter.getUser(ada.id)),
    );
    for (const o of outcomes) {
      assert.equal(o.status, 'rejected');
      assert.ok(o.reason instanceof AdapterError);
      assert.equal(o.reason.code, 'PARTNER_API');
      assert.equal(o.reason.status, 500);
    }
    assert.equal(api.calls('fetch'), 1);
    // And the failure is not remembered: the next call asks again.
    assert.equal((await adapter.getUser(ada.id))?.id, ada.id);
    assert.equal(api.calls('fetch'), 2);
  });

  test('getSessionAndUser for many sessions of one user: 1 fetch', async () => {
    const adapter = makeAdapter();
    const expires = new Date(Date.now() + 3600_000);
    await times(20, (i) =>
      adapter.createSession({ sessionToken: `s${i}`, userId: ada.id, expires }),
    );
    const results = await times(20, (i) => adapter.getSessionAndUser(`s${i}`));
    for (const [i, r] of results.entries()) {
      assert.equal(r.session.sessionToken, `s${i}`);
      assert.equal(r.user.id, ada.id);
    }
    assert.equal(api.calls('fetch'), 1);
  });
});

describe('different lookups are not merged', () => {
  test('concurrent getUserByEmail for 10 emails: 10 list calls, each its own user', async () => {
    const adapter = makeAdapter();
    const others = Array.from({ length: 10 }, (_, i) =>
      api.addUser({ email: `user${i}@example.com`, name: `User ${i}` }),
    );
    api.resetRequests();
    // Each email asked 5 times, interleaved.
    const asked = Array.from({ length: 50 }, (_, i) => i % 10);
    const users = await Promise.all(
      asked.map((i) => adapter.getUserByEmail(`user${i}@example.com`)),
    );
    for (const [k, i] of asked.entries()) {
      assert.equal(users[k]?.id, others[i].id);
      assert.equal(users[k].email, `user${i}@example.com`);
    }
    assert.equal(api.calls('list'), 10);
    assert.deepEqual(
      new Set(api.requests.map((r) => r.query.email)),
      new Set(others.map((u) => u.email)),
    );
  });

  test('concurrent getUser for different ids: one fetch each', async () => {
    const adapter = makeAdapter();
    const others = Array.from({ length: 8 }, (_, i) => api.addUser({ email: `f${i}@example.com` }));
    api.resetRequests();
    const users = await Promise.all([...others, ...others].map((u) => adapter.getUser(u.id)));
    for (const [k, u] of [...others, ...others].entries()) assert.equal(users[k]?.id, u.id);
    assert.equal(api.calls('fetch'), 8);
  });

  test('an email and an id are never confused', async () => {
    const adapter = makeAdapter();
    // A user whose id is another user's email.
    const tricky = api.addUser({ id: 'ada@example.com', email: 'tricky@example.com' });
    api.resetRequests();
    const [byEmail, byId] = await Promise.all([
      adapter.getUserByEmail('ada@example.com'),
      adapter.getUser('ada@example.com'),
    ]);
    assert.equal(byEmail?.id, ada.id);
    assert.equal(byId?.id, tricky.id);
    assert.equal(api.calls('list'), 1);
    assert.equal(api.calls('fetch'), 1);
  });

  test('without userCacheTtl, sequential lookups each ask ChatBotKit (no stale answers)', async () => {
    const adapter = makeAdapter();
    api.setLatency(0);
    for (let i = 0; i < 3; i++) assert.equal((await adapter.getUser(ada.id))?.name, 'Ada');
    assert.equal(api.calls('fetch'), 3);
    // A change made elsewhere (the ChatBotKit dashboard) is seen at once.
    api.users.get(ada.id).name = 'Ada Lovelace';
    assert.equal((await adapter.getUser(ada.id))?.name, 'Ada Lovelace');
  });
});

describe('userCacheTtl', () => {
  test('repeated sequential getUser: 1 call; updateUser clears it; the next getUser sees the update', async () => {
    const adapter = makeAdapter({ userCacheTtl: 60_000 });
    api.setLatency(0);
    for (let i = 0; i < 5; i++) assert.equal((await adapter.getUser(ada.id))?.name, 'Ada');
    assert.equal(api.calls('fetch'), 1);

    const updated = await adapter.updateUser({ id: ada.id, name: 'Countess' });
    assert.equal(updated.name, 'Countess');
    assert.equal(api.calls('update'), 1);
    const fetchesBefore = api.calls('fetch');

    const after = await adapter.getUser(ada.id);
    assert.equal(after?.name, 'Countess');
    assert.equal(api.calls('fetch'), fetchesBefore + 1, 'the cache was not cleared by updateUser');
    // Cached again from here on.
    await adapter.getUser(ada.id);
    assert.equal(api.calls('fetch'), fetchesBefore + 1);
  });

  test('the email lookup is cached too, and cleared by updateUser (even of the email)', async () => {
    const adapter = makeAdapter({ userCacheTtl: 60_000 });
    api.setLatency(0);
    for (let i = 0; i < 3; i++) await adapter.getUserByEmail('ada@example.com');
    assert.equal(api.calls('list'), 1);
    await adapter.updateUser({ id: ada.id, email: 'lovelace@example.com' });
    assert.equal(await adapter.getUserByEmail('ada@example.com'), null);
    assert.equal((await adapter.getUserByEmail('lovelace@example.com'))?.id, ada.id);
    assert.equal(api.calls('list'), 3);
  });

  test('createUser clears a cached "not found" for that email', async () => {
    const adapter = makeAdapter({ userCacheTtl: 60_000, autoCreateUser: true });
    api.setLatency(0);
    assert.equal(await adapter.getUserByEmail('new@example.com'), null);
    const created = await adapter.createUser({ email: 'new@example.com', emailVerified: null });
    assert.equal((await adapter.getUserByEmail('new@example.com'))?.id, created.id);
  });

  test('deleteUser clears the cached user', async () => {
    const adapter = makeAdapter({ userCacheTtl: 60_000, autoDeleteUser: true });
    api.setLatency(0);
    assert.equal((await adapter.getUser(ada.id))?.id, ada.id);
    await adapter.deleteUser(ada.id);
    assert.equal(await adapter.getUser(ada.id), null);
  });

  test('a lookup that was in flight during a write is not cached', async () => {
    const adapter = makeAdapter({ userCacheTtl: 60_000 });
    api.setLatency(0);
    // The list reads the user now and answers 300 ms later.
    api.fail({ op: 'list', mode: 'delay', delay: 300, apply: true });
    const stale = adapter.getUserByEmail('ada@example.com');
    await sleep(50);
    await adapter.updateUser({ id: ada.id, name: 'Countess' });
    assert.equal((await stale)?.name, 'Ada'); // it started before the write
    assert.equal((await adapter.getUserByEmail('ada@example.com'))?.name, 'Countess');
    assert.equal(api.calls('list'), 2);
  });

  test('entries expire after the ttl', async () => {
    const adapter = makeAdapter({ userCacheTtl: 150 });
    api.setLatency(0);
    await adapter.getUser(ada.id);
    await adapter.getUser(ada.id);
    assert.equal(api.calls('fetch'), 1);
    await sleep(200);
    await adapter.getUser(ada.id);
    assert.equal(api.calls('fetch'), 2);
  });

  test('a failure is not cached', async () => {
    const adapter = makeAdapter({ userCacheTtl: 60_000, retries: 0 });
    api.setLatency(0);
    api.fail({ op: 'fetch', status: 503 });
    await assert.rejects(adapter.getUser(ada.id), { code: 'PARTNER_API' });
    assert.equal((await adapter.getUser(ada.id))?.id, ada.id);
    assert.equal(api.calls('fetch'), 2);
  });

  test('the cache is per adapter: another adapter (another server instance) asks again', async () => {
    const a = makeAdapter({ userCacheTtl: 60_000 });
    const b = makeAdapter({ userCacheTtl: 60_000 });
    api.setLatency(0);
    await a.getUser(ada.id);
    await b.getUser(ada.id);
    assert.equal(api.calls('fetch'), 2);
  });
});
