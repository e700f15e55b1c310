// User ids go into Partner API paths. Whatever an id holds, it must stay one
// path segment of the intended endpoint: an id like `../../x` or `a/b` must
// never reach another endpoint or another user. Every request the fake
// records is checked byte for byte as it arrived on the wire (`rawPath`).
import { describe, test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { AdapterError, createChatBotKitSession } from '../index.mjs';
import { partnerAdapter, useFakeApi } from './helpers/api.mjs';

/** Ids built to escape their path segment. */
const HOSTILE_IDS = [
  '../',
  '../../x',
  '../x/fetch',
  '%2e%2e/',
  '%2e%2e',
  '%2F',
  'a%2Fb',
  '?a=b',
  'x?email=ada@example.com',
  '#frag',
  '\\..\\',
  '..\\..\\x',
  'a\u0000b',
  '\u0000',
  'a/b',
  '/x',
  'x/',
  '../list',
  '../create',
  './x',
  '...',
  '.x',
  ' x ',
  'a;b=c',
  'a:b@c',
  '\r\nX-Injected: 1',
  'ünïcödé-用户-🙂',
  '\u202e\u0301',
  'x'.repeat(3000),
  `${'é/'.repeat(800)}..`,
];

/** Ids that a URL parser resolves away even when percent-encoded: never sent. */
const DOT_IDS = ['.', '..'];

// A victim whose id is what naive path joining of several hostile ids yields.
const VICTIM_IDS = ['x', 'b', 'list', 'create', 'fetch'];

const api = useFakeApi({}, { reset: true });

beforeEach(() => {
  for (const id of VICTIM_IDS)
    api.addUser({ id, email: `victim-${id}@example.com`, name: 'Victim' });
});

// The harness gives each adapter a store of its own: these tests delete a
// user and make one again with the same id (the real service never reuses
// one), and a deleted user stays marked in its store for an hour.
const makeAdapter = (extra = {}) =>
  partnerAdapter(api, { retries: 0, autoDeleteUser: true, ...extra });

const sessionOptions = () => ({ secret: api.secret, baseUrl: api.url, retries: 0 });

const show = (id) => JSON.stringify(id.length > 60 ? `${id.slice(0, 60)}…(${id.length})` : id);

/**
 * Every recorded request went to `/v1/partner/user/<one segment>/<action>`
 * for one of `allowed` operations, and its segment decodes to exactly `id`.
 */
function assertOnlyRequestsFor(id, allowed) {
  assert.ok(api.requests.length > 0, `no request was made for ${show(id)}`);
  for (const r of api.requests) {
    assert.ok(allowed[r.op], `${show(id)} reached op ${r.op} at ${r.rawPath}`);
    const prefix = '/v1/partner/user/';
    const suffix = `/${allowed[r.op]}`;
    assert.ok(r.rawPath.startsWith(prefix), r.rawPath);
    assert.ok(r.rawPath.endsWith(suffix), r.rawPath);
    const segment = r.rawPath.slice(prefix.length, r.rawPath.length - suffix.length);
    // One segment: nothing that any parser could read as a separator, a
    // query, a fragment or a dot segment.
    assert.match(segment, /^[A-Za-z0-9\-_~%]+$/, `segment ${segment} of ${show(id)}`);
    assert.equal(decodeURIComponent(segment), id);
    assert.equal(r.userId, id, 'the fake routed it to another user id');
    assert.deepEqual(r.query, {}, `a query reached the server: ${JSON.stringify(r.query)}`);
  }
}

const victimsIntact = () => {
  for (const id of VICTIM_IDS) {
    const victim = api.users.get(id);
    assert.ok(victim, `victim ${id} was deleted`);
    assert.equal(victim.name, 'Victim', `victim ${id} was changed`);
  }
};

describe('hostile user ids stay one path segment', () => {
  test('getUser: unknown hostile ids are null, one fetch each, to the right place', async () => {
    const adapter = makeAdapter();
    for (const id of HOSTILE_IDS) {
      api.resetRequests();
      assert.equal(await adapter.getUser(id), null, show(id));
      assertOnlyRequestsFor(id, { fetch: 'fetch' });
      assert.equal(api.calls(), 1);
    }
    victimsIntact();
  });

  test('getUser: a partner user whose id is hostile is found as itself', async () => {
    const adapter = makeAdapter();
    for (const id of HOSTILE_IDS) {
      api.addUser({ id, email: `${api.users.size}@example.com` });
      api.resetRequests();
      const user = await adapter.getUser(id);
      assert.equal(user?.id, id, show(id));
      assertOnlyRequestsFor(id, { fetch: 'fetch' });
    }
  });

  test('updateUser changes that user and no other', async () => {
    const adapter = makeAdapter();
    for (const id of HOSTILE_IDS) {
      api.addUser({ id, email: `${api.users.size}@example.com`, name: 'Before' });
      api.resetRequests();
      const user = await adapter.updateUser({ id, name: 'After' });
      assert.equal(user.id, id);
      assert.equal(user.name, 'After');
      assert.equal(api.users.get(id).name, 'After');
      assertOnlyRequestsFor(id, { fetch: 'fetch', update: 'update' });
      assert.equal(api.calls('update'), 1);
    }
    victimsIntact();
  });

  test('updateUser of an unknown hostile id: USER_NOT_FOUND, nothing updated', async () => {
    const adapter = makeAdapter();
    for (const id of HOSTILE_IDS) {
      api.resetRequests();
      await assert.rejects(adapter.updateUser({ id, name: 'After' }), { code: 'USER_NOT_FOUND' });
      assertOnlyRequestsFor(id, { fetch: 'fetch' });
    }
    victimsIntact();
  });

  test('deleteUser (autoDeleteUser) deletes exactly that user', async () => {
    const adapter = makeAdapter();
    for (const id of HOSTILE_IDS) {
      api.addUser({ id, email: `${api.users.size}@example.com` });
      const before = api.users.size;
      api.resetRequests();
      await adapter.deleteUser(id);
      assert.equal(api.users.has(id), false, `${show(id)} still exists`);
      assert.equal(api.users.size, before - 1);
      assertOnlyRequestsFor(id, { fetch: 'fetch', delete: 'delete' });
      assert.equal(api.calls('delete'), 1);
    }
    victimsIntact();
  });

  test('deleteUser of an unknown hostile id: USER_NOT_FOUND, no one deleted', async () => {
    const adapter = makeAdapter();
    for (const id of HOSTILE_IDS) {
      api.resetRequests();
      await assert.rejects(adapter.deleteUser(id), { code: 'USER_NOT_FOUND' });
      assertOnlyRequestsFor(id, { fetch: 'fetch', delete: 'delete' });
    }
    victimsIntact();
  });

  test('linkAccount checks the hostile userId at the right place', async () => {
    const adapter = makeAdapter();
    for (const [i, id] of HOSTILE_IDS.entries()) {
      const account = {
        userId: id,
        type: 'oauth',
        provider: 'github',
        providerAccountId: `gh-${i}`,
      };
      api.resetRequests();
      // Unknown user: refused.
      await assert.rejects(adapter.linkAccount(account), { code: 'USER_NOT_FOUND' });
      assertOnlyRequestsFor(id, { fetch: 'fetch' });
      // Known user: linked, and found back through the account.
      api.addUser({ id, email: `${api.users.size}@example.com` });
      api.resetRequests();
      assert.deepEqual(await adapter.linkAccount(account), account);
      const user = await adapter.getUserByAccount({
        provider: 'github',
        providerAccountId: `gh-${i}`,
      });
      assert.equal(user?.id, id);
      assertOnlyRequestsFor(id, { fetch: 'fetch' });
    }
    victimsIntact();
  });

  test('createChatBotKitSession asks for exactly that user', async () => {
    for (const id of HOSTILE_IDS) {
      api.resetRequests();
      await assert.rejects(
        createChatBotKitSession(sessionOptions(), id, { durationInSeconds: 60 }),
        { code: 'USER_NOT_FOUND' },
      );
      assertOnlyRequestsFor(id, { sessionCreate: 'session/create' });

      api.addUser({ id, email: `${api.users.size}@example.com` });
      api.resetRequests();
      const session = await createChatBotKitSession(sessionOptions(), id, {
        durationInSeconds: 60,
      });
      assert.equal(typeof session.token, 'string');
      assert.ok(session.expiresAt instanceof Date);
      assertOnlyRequestsFor(id, { sessionCreate: 'session/create' });
      assert.equal(api.sessions.at(-1).userId, id);
    }
    assert.equal(
      api.sessions.filter((s) => VICTIM_IDS.includes(s.userId)).length,
      0,
      'a session was issued for a victim',
    );
  });
});

describe('`.` and `..` never produce a request', () => {
  test('every entry point refuses them without calling the Partner API', async () => {
    // Even when partner users with these ids exist they must not be
    // reached: `/user/../fetch` (encoded or not) is normalised by URL parsers
    // and proxies into another endpoint.
    for (const id of DOT_IDS) api.addUser({ id, email: `dot${id.length}@example.com` });
    const adapter = makeAdapter();
    for (const id of DOT_IDS) {
      assert.equal(await adapter.getUser(id), null);
      await assert.rejects(adapter.updateUser({ id, name: 'x' }), { code: 'USER_NOT_FOUND' });
      await assert.rejects(adapter.deleteUser(id), { code: 'USER_NOT_FOUND' });
      await assert.rejects(
        adapter.linkAccount({ userId: id, type: 'oauth', provider: 'p', providerAccountId: 'a' }),
        { code: 'USER_NOT_FOUND' },
      );
      const sessionError = await createChatBotKitSession(sessionOptions(), id, {
        durationInSeconds: 60,
      }).catch((e) => e);
      assert.ok(sessionError instanceof AdapterError);
      assert.equal(sessionError.code, 'INVALID_INPUT');
    }
    assert.deepEqual(
      api.requests.map((r) => r.rawPath),
      [],
      'a dot id reached the Partner API',
    );
    victimsIntact();
  });

  test('a session for a dot id whose user is gone is not resolved to another user', async () => {
    const adapter = makeAdapter();
    for (const id of DOT_IDS) {
      await adapter.createSession({
        sessionToken: `s-${id}`,
        userId: id,
        expires: new Date(Date.now() + 60_000),
      });
      assert.equal(await adapter.getSessionAndUser(`s-${id}`), null);
    }
    assert.equal(api.calls(), 0);
  });
});

describe('ids that are not well-formed UTF-16', () => {
  // A lone surrogate has no UTF-8 form. Converting it with a replacement
  // character (U+FFFD) would silently turn the id into ANOTHER id, so such an
  // id must be refused before any request, on every entry point.
  const LONE = ['a\ud800', '\udfff', 'x\ud83d/../y'];
  const REPLACED = (id) => id.replace(/[\ud800-\udfff]/g, '\ufffd');

  test('the adapter refuses them and reaches no user', async () => {
    const adapter = makeAdapter();
    for (const id of LONE) {
      api.addUser({ id: REPLACED(id), email: `${api.users.size}@example.com`, name: 'Victim' });
      const outcomes = await Promise.allSettled([
        adapter.getUser(id),
        adapter.updateUser({ id, name: 'Changed' }),
        adapter.deleteUser(id),
        adapter.linkAccount({ userId: id, type: 'oauth', provider: 'p', providerAccountId: id }),
      ]);
      for (const o of outcomes) {
        if (o.status === 'rejected') assert.ok(o.reason instanceof AdapterError, String(o.reason));
        else assert.equal(o.value, null);
      }
      assert.equal(
        api.users.get(REPLACED(id))?.name,
        'Victim',
        `${show(id)} reached its replacement`,
      );
    }
    assert.deepEqual(
      api.requests.map((r) => r.rawPath),
      [],
      'an id with a lone surrogate reached the Partner API',
    );
  });

  test('createChatBotKitSession refuses them instead of issuing a token for another user', async () => {
    for (const id of LONE) {
      api.addUser({ id: REPLACED(id), email: `${api.users.size}@example.com` });
      const outcome = await createChatBotKitSession(sessionOptions(), id, {
        durationInSeconds: 60,
      }).then(
        (session) => ({ session }),
        (error) => ({ error }),
      );
      assert.ok(
        outcome.error instanceof AdapterError,
        `a session token was issued for ${show(id)}: ${JSON.stringify(api.sessions.at(-1)?.userId)}`,
      );
      assert.equal(outcome.error.code, 'INVALID_INPUT');
    }
    assert.deepEqual(
      api.requests.map((r) => r.rawPath),
      [],
      'an id with a lone surrogate reached the Partner API',
    );
    assert.equal(api.sessions.length, 0);
  });
});
