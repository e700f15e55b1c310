// Tests of the fake ChatBotKit Partner API (testing/fake-partner-api.js).
import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createRequire } from 'node:module';
import { startFakePartnerApi } from '../testing/index.mjs';

const require = createRequire(import.meta.url);

let api;
beforeEach(async () => {
  api = await startFakePartnerApi({ secret: 's3cret' });
});
afterEach(() => api.close());

/** fetch() against the fake, authorised by default. */
function call(path, { method = 'GET', body, auth = `Bearer ${api.secret}`, signal } = {}) {
  const headers = {};
  if (auth !== null) headers.authorization = auth;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const payload = body === undefined || typeof body === 'string' ? body : JSON.stringify(body);
  return fetch(api.url + path, { method, headers, body: payload, signal });
}

async function json(path, opts) {
  const res = await call(path, opts);
  return { status: res.status, body: await res.json(), headers: res.headers };
}

const post = (path, body = {}, opts = {}) => json(path, { ...opts, method: 'POST', body });

/** A request whose path is sent exactly as given (fetch/URL would normalise `..`). */
function raw(path, { method = 'GET', auth = `Bearer ${api.secret}` } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(`${api.url}/`, {
      method,
      path,
      agent: false,
      headers: { authorization: auth },
    });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function until(cond, ms = 2000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('entry points and handle', () => {
  test('CJS and ESM entries export the same function', async () => {
    const cjs = require('../testing/index.js');
    const esm = await import('../testing/index.mjs');
    assert.equal(typeof cjs.startFakePartnerApi, 'function');
    assert.equal(esm.startFakePartnerApi, cjs.startFakePartnerApi);
    assert.equal(esm.default.startFakePartnerApi, cjs.startFakePartnerApi);
  });

  test('defaults: random secret, free port on 127.0.0.1', async () => {
    const other = await startFakePartnerApi();
    try {
      assert.match(other.secret, /^fake-secret-[0-9a-f]+$/);
      assert.match(other.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.notEqual(other.url, api.url);
      assert.equal((await fetch(`${other.url}/v1/partner/user/list`)).status, 401);
    } finally {
      await other.close();
    }
  });

  test('options.port is honoured', async () => {
    const probe = await startFakePartnerApi();
    const port = Number(new URL(probe.url).port);
    await probe.close();
    const other = await startFakePartnerApi({ port });
    try {
      assert.equal(other.url, `http://127.0.0.1:${port}`);
    } finally {
      await other.close();
    }
  });

  test('seeded users and addUser', async () => {
    const other = await startFakePartnerApi({
      users: [{ id: 'u1', email: 'a@x.io', createdAt: 1000 }, { email: 'b@x.io' }],
    });
    try {
      assert.deepEqual(other.users.get('u1'), {
        id: 'u1',
        createdAt: 1000,
        updatedAt: 1000,
        email: 'a@x.io',
      });
      assert.equal(other.users.size, 2);
      const added = other.addUser({ name: 'C', meta: { k: 'v' } });
      assert.match(added.id, /^usr_[0-9a-f]+$/);
      assert.equal(typeof added.createdAt, 'number');
      assert.equal(added.updatedAt, added.createdAt);
      assert.equal(other.users.get(added.id), added);
      assert.throws(() => other.addUser({ id: 'u1' }), /already exists/);
    } finally {
      await other.close();
    }
    await assert.rejects(
      startFakePartnerApi({ users: [{ id: 'x' }, { id: 'x' }] }),
      /already exists/,
    );
  });

  test('close() is idempotent', async () => {
    await api.close();
    await api.close();
  });
});

describe('authentication', () => {
  test('missing or wrong bearer secret answers 401', async () => {
    for (const auth of [null, 'Bearer nope', 's3cret', 'Basic s3cret']) {
      const res = await json('/v1/partner/user/list', { auth });
      assert.equal(res.status, 401);
      assert.deepEqual(res.body, { message: 'Not authenticated', code: 'NOT_AUTHENTICATED' });
    }
    assert.equal(api.calls('list'), 4);
    assert.ok(api.requests.every((r) => r.authorized === false));
  });

  test('the scheme is case-insensitive', async () => {
    assert.equal((await call('/v1/partner/user/list', { auth: 'bearer s3cret' })).status, 200);
  });

  test('unauthenticated writes do nothing', async () => {
    assert.equal(
      (await post('/v1/partner/user/create', { name: 'x' }, { auth: null })).status,
      401,
    );
    assert.equal(api.users.size, 0);
  });
});

describe('users', () => {
  test('create then fetch', async () => {
    const before = Date.now();
    const res = await post('/v1/partner/user/create', {
      name: 'Ann',
      email: 'ann@x.io',
      image: 'https://img/a.png',
      alias: 'ann',
      description: 'd',
      meta: { a: '1', nested: { b: 2 } },
      limits: { tokens: 10 },
      ignored: true,
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/json');
    assert.deepEqual(Object.keys(res.body), ['id']);
    const stored = api.users.get(res.body.id);
    assert.ok(stored.createdAt >= before && stored.updatedAt === stored.createdAt);
    const got = await json(`/v1/partner/user/${res.body.id}/fetch`);
    assert.equal(got.status, 200);
    assert.deepEqual(got.body, {
      id: res.body.id,
      createdAt: stored.createdAt,
      updatedAt: stored.updatedAt,
      name: 'Ann',
      email: 'ann@x.io',
      image: 'https://img/a.png',
      alias: 'ann',
      description: 'd',
      meta: { a: '1', nested: { b: 2 } },
      limits: { tokens: 10 },
    });
  });

  test('fields never set are omitted; empty body creates an empty user', async () => {
    const res = await json('/v1/partner/user/create', { method: 'POST' });
    assert.equal(res.status, 200);
    const got = await json(`/v1/partner/user/${res.body.id}/fetch`);
    assert.deepEqual(Object.keys(got.body).sort(), ['createdAt', 'id', 'updatedAt']);
  });

  test('duplicate emails are accepted (like ChatBotKit)', async () => {
    const a = await post('/v1/partner/user/create', { email: 'dup@x.io' });
    const b = await post('/v1/partner/user/create', { email: 'dup@x.io' });
    assert.equal(a.status, 200);
    assert.equal(b.status, 200);
    assert.notEqual(a.body.id, b.body.id);
  });

  test('create rejects bad bodies with 400', async () => {
    for (const body of [
      [],
      'str',
      5,
      null,
      { name: 5 },
      { email: null },
      { meta: 'x' },
      { meta: [] },
      { limits: 1 },
    ]) {
      const res = await post('/v1/partner/user/create', JSON.stringify(body));
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.code, 'BAD_REQUEST');
      assert.equal(typeof res.body.message, 'string');
    }
    const bad = await post('/v1/partner/user/create', '{not json');
    assert.deepEqual(bad.body, { message: 'Body is not valid JSON', code: 'BAD_REQUEST' });
    assert.equal(api.users.size, 0);
    assert.equal(api.requests.at(-1).body, null);
  });

  test('fetch of an unknown id answers 404', async () => {
    const res = await json('/v1/partner/user/nope/fetch');
    assert.equal(res.status, 404);
    assert.deepEqual(res.body, { message: 'Not found', code: 'NOT_FOUND' });
  });

  test('update replaces given fields, meta as a whole', async () => {
    const user = api.addUser({
      name: 'A',
      email: 'a@x.io',
      meta: { a: '1', b: '2' },
      updatedAt: 5,
    });
    const res = await post(`/v1/partner/user/${user.id}/update`, {
      name: 'B',
      meta: { c: '3' },
      image: '',
    });
    assert.deepEqual(res, { status: 200, body: { id: user.id }, headers: res.headers });
    const got = (await json(`/v1/partner/user/${user.id}/fetch`)).body;
    assert.equal(got.name, 'B');
    assert.equal(got.email, 'a@x.io');
    assert.equal(got.image, '');
    assert.deepEqual(got.meta, { c: '3' });
    assert.ok(got.updatedAt > 5);
    const again = await post(`/v1/partner/user/${user.id}/update`, {});
    assert.equal(again.status, 200);
    assert.ok(api.users.get(user.id).updatedAt > got.updatedAt);
  });

  test('update: 404 for unknown user, 400 for bad fields', async () => {
    assert.equal((await post('/v1/partner/user/nope/update', { name: 'x' })).status, 404);
    const user = api.addUser({ name: 'A' });
    const bad = await post(`/v1/partner/user/${user.id}/update`, { name: null });
    assert.equal(bad.status, 400);
    assert.equal(api.users.get(user.id).name, 'A');
  });

  test('delete removes the user, then 404', async () => {
    const user = api.addUser({ email: 'a@x.io' });
    assert.deepEqual((await post(`/v1/partner/user/${user.id}/delete`)).body, { id: user.id });
    assert.equal(api.users.has(user.id), false);
    assert.equal((await post(`/v1/partner/user/${user.id}/delete`)).status, 404);
    assert.equal(
      (await json(`/v1/partner/user/${user.id}/delete`, { method: 'POST' })).status,
      404,
    );
  });
});

describe('list', () => {
  const ids = (res) => res.body.items.map((u) => u.id);

  test('newest first by default, oldest first with order=asc', async () => {
    api.addUser({ id: 'old', createdAt: 1 });
    api.addUser({ id: 'new', createdAt: 3 });
    api.addUser({ id: 'mid', createdAt: 2 });
    const desc = await json('/v1/partner/user/list');
    assert.deepEqual(ids(desc), ['new', 'mid', 'old']);
    assert.equal(desc.body.cursor, undefined);
    assert.deepEqual(ids(await json('/v1/partner/user/list?order=asc')), ['old', 'mid', 'new']);
    assert.deepEqual(desc.body.items[0], { id: 'new', createdAt: 3, updatedAt: 3 });
  });

  test('ties keep creation order (reversed for desc)', async () => {
    for (const id of ['a', 'b', 'c']) api.addUser({ id, createdAt: 7 });
    assert.deepEqual(ids(await json('/v1/partner/user/list')), ['c', 'b', 'a']);
    assert.deepEqual(ids(await json('/v1/partner/user/list?order=asc')), ['a', 'b', 'c']);
  });

  test('take and cursor paginate', async () => {
    for (let i = 0; i < 5; i++) api.addUser({ id: `u${i}`, createdAt: i });
    const seen = [];
    let cursor;
    let pages = 0;
    do {
      const q = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const res = await json(`/v1/partner/user/list?take=2${q}`);
      seen.push(...ids(res));
      cursor = res.body.cursor;
      pages++;
    } while (cursor);
    assert.equal(pages, 3);
    assert.deepEqual(seen, ['u4', 'u3', 'u2', 'u1', 'u0']);
  });

  test('take defaults to 100 and is capped at 100', async () => {
    for (let i = 0; i < 150; i++) api.addUser({ createdAt: i });
    const def = await json('/v1/partner/user/list');
    assert.equal(def.body.items.length, 100);
    assert.equal(def.body.cursor, def.body.items[99].id);
    assert.equal((await json('/v1/partner/user/list?take=500')).body.items.length, 100);
    const rest = await json(`/v1/partner/user/list?cursor=${def.body.cursor}`);
    assert.equal(rest.body.items.length, 50);
    assert.equal(rest.body.cursor, undefined);
  });

  test('invalid take, order or cursor answer 400', async () => {
    for (const q of ['take=0', 'take=-1', 'take=abc', 'take=1.5', 'order=up', 'cursor=nope']) {
      const res = await json(`/v1/partner/user/list?${q}`);
      assert.equal(res.status, 400, q);
      assert.equal(res.body.code, 'BAD_REQUEST');
    }
  });

  test('email filter: exact, case-insensitive, trimmed', async () => {
    api.addUser({ id: 'ann', email: ' Ann@X.io ' });
    api.addUser({ id: 'anna', email: 'anna@x.io' });
    api.addUser({ id: 'none' });
    assert.deepEqual(ids(await json('/v1/partner/user/list?email=ann%40x.io')), ['ann']);
    assert.deepEqual(ids(await json('/v1/partner/user/list?email=%20ANN@x.IO')), ['ann']);
    assert.deepEqual(ids(await json('/v1/partner/user/list?email=nobody@x.io')), []);
    assert.deepEqual(api.requests[0].query, { email: 'ann@x.io' });
  });

  test('ignoreEmailFilter answers the newest users', async () => {
    const other = await startFakePartnerApi({
      secret: 's',
      ignoreEmailFilter: true,
      users: [
        { id: 'a', email: 'a@x.io', createdAt: 1 },
        { id: 'b', email: 'b@x.io', createdAt: 2 },
      ],
    });
    try {
      const res = await fetch(`${other.url}/v1/partner/user/list?email=a@x.io&take=1`, {
        headers: { authorization: 'Bearer s' },
      });
      assert.deepEqual(
        (await res.json()).items.map((u) => u.id),
        ['b'],
      );
    } finally {
      await other.close();
    }
  });

  test('caseSensitiveEmailFilter matches the exact spelling only', async () => {
    const other = await startFakePartnerApi({
      secret: 's',
      caseSensitiveEmailFilter: true,
      users: [{ id: 'a', email: 'Ann@X.io' }],
    });
    try {
      const list = async (email) => {
        const res = await fetch(`${other.url}/v1/partner/user/list?email=${email}`, {
          headers: { authorization: 'Bearer s' },
        });
        return (await res.json()).items.map((u) => u.id);
      };
      assert.deepEqual(await list('Ann%40X.io'), ['a']);
      assert.deepEqual(await list('ann%40x.io'), []);
    } finally {
      await other.close();
    }
  });

  test('listLag hides new users from list, not from fetch, until it passes', async () => {
    const other = await startFakePartnerApi({ secret: 's', listLag: 150 });
    try {
      const auth = { authorization: 'Bearer s', 'content-type': 'application/json' };
      const created = await fetch(`${other.url}/v1/partner/user/create`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ email: 'lag@x.io' }),
      });
      const { id } = await created.json();
      const list = async () =>
        (
          await (
            await fetch(`${other.url}/v1/partner/user/list?email=lag@x.io`, { headers: auth })
          ).json()
        ).items.map((u) => u.id);
      assert.deepEqual(await list(), []);
      const fetched = await fetch(`${other.url}/v1/partner/user/${id}/fetch`, { headers: auth });
      assert.equal(fetched.status, 200);
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.deepEqual(await list(), [id]);
      other.setListLag(0);
      assert.throws(() => other.setListLag(-1), TypeError);
    } finally {
      await other.close();
    }
  });

  test('meta filters (meta.key and meta[key])', async () => {
    api.addUser({ id: 'a', meta: { team: 'red', n: 1 } });
    api.addUser({ id: 'b', meta: { team: 'blue', n: 1 } });
    api.addUser({ id: 'c' });
    assert.deepEqual(ids(await json('/v1/partner/user/list?meta.team=red')), ['a']);
    assert.deepEqual(ids(await json('/v1/partner/user/list?meta%5Bteam%5D=blue')), ['b']);
    assert.deepEqual(ids(await json('/v1/partner/user/list?meta.n=1&order=asc')), ['a', 'b']);
    assert.deepEqual(ids(await json('/v1/partner/user/list?meta.n=1&meta.team=blue')), ['b']);
    assert.deepEqual(ids(await json('/v1/partner/user/list?meta.missing=x')), []);
  });
});

describe('sessions and tokens', () => {
  test('session/create issues a session', async () => {
    const user = api.addUser({ email: 'a@x.io' });
    const before = Date.now();
    const res = await post(`/v1/partner/user/${user.id}/session/create`, {
      durationInSeconds: 60,
      config: { allowedRoutes: ['/v1/conversation/**'], contactId: 'c1' },
    });
    assert.equal(res.status, 200);
    assert.deepEqual(Object.keys(res.body).sort(), ['expiresAt', 'id', 'token']);
    assert.ok(res.body.expiresAt >= before + 60_000 && res.body.expiresAt <= Date.now() + 60_000);
    assert.equal(api.sessions.length, 1);
    assert.equal(api.sessions[0].userId, user.id);
    assert.equal(api.sessions[0].token, res.body.token);
    assert.deepEqual(api.sessions[0].config, {
      allowedRoutes: ['/v1/conversation/**'],
      contactId: 'c1',
    });

    const def = await json(`/v1/partner/user/${user.id}/session/create`, { method: 'POST' });
    assert.ok(def.body.expiresAt >= before + 3600_000);
  });

  test('session/create: 404 unknown user, 400 bad body', async () => {
    assert.equal((await post('/v1/partner/user/nope/session/create')).status, 404);
    const user = api.addUser({});
    for (const body of [
      { durationInSeconds: 'x' },
      { durationInSeconds: -1 },
      { config: 1 },
      { config: { allowedRoutes: 'x' } },
      { config: { contactId: 1 } },
    ]) {
      assert.equal(
        (await post(`/v1/partner/user/${user.id}/session/create`, body)).status,
        400,
        JSON.stringify(body),
      );
    }
    assert.equal(api.sessions.length, 0);
  });

  test('token create, list, delete', async () => {
    const user = api.addUser({});
    const other = api.addUser({});
    const created = await post(`/v1/partner/user/${user.id}/token/create`, {
      name: 't',
      meta: { a: '1' },
    });
    assert.equal(created.status, 200);
    assert.deepEqual(Object.keys(created.body).sort(), ['createdAt', 'id', 'token']);
    await post(`/v1/partner/user/${other.id}/token/create`, {});

    const list = await json(`/v1/partner/user/${user.id}/token/list`);
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.items, [
      {
        id: created.body.id,
        createdAt: created.body.createdAt,
        updatedAt: created.body.createdAt,
        name: 't',
        meta: { a: '1' },
      },
    ]);

    const wrongOwner = await post(`/v1/partner/user/${other.id}/token/${created.body.id}/delete`);
    assert.equal(wrongOwner.status, 404);
    const del = await post(`/v1/partner/user/${user.id}/token/${created.body.id}/delete`);
    assert.deepEqual(del.body, { id: created.body.id });
    assert.equal(api.requests.at(-1).tokenId, created.body.id);
    assert.deepEqual((await json(`/v1/partner/user/${user.id}/token/list`)).body.items, []);
    assert.equal(
      (await post(`/v1/partner/user/${user.id}/token/${created.body.id}/delete`)).status,
      404,
    );
  });

  test('token endpoints: 404 unknown user, 400 bad body; deleting a user drops its tokens', async () => {
    assert.equal((await post('/v1/partner/user/nope/token/create')).status, 404);
    assert.equal((await json('/v1/partner/user/nope/token/list')).status, 404);
    const user = api.addUser({});
    assert.equal((await post(`/v1/partner/user/${user.id}/token/create`, { name: 1 })).status, 400);
    await post(`/v1/partner/user/${user.id}/token/create`);
    assert.equal(api.tokens.size, 1);
    await post(`/v1/partner/user/${user.id}/delete`);
    assert.equal(api.tokens.size, 0);
  });
});

describe('routing on the raw path', () => {
  test('an encoded slash stays inside the id', async () => {
    api.addUser({ id: 'a/b', name: 'slashed' });
    const res = await json('/v1/partner/user/a%2Fb/fetch');
    assert.equal(res.body.name, 'slashed');
    const entry = api.requests.at(-1);
    assert.equal(entry.op, 'fetch');
    assert.equal(entry.userId, 'a/b');
    assert.equal(entry.rawPath, '/v1/partner/user/a%2Fb/fetch');
    assert.equal(entry.path, entry.rawPath);
  });

  test('dot segments are never normalised', async () => {
    api.addUser({ id: 'x', name: 'target' });
    for (const path of [
      '/v1/partner/user/a/../x/fetch',
      '/v1/partner/user/a/%2e%2e/x/fetch',
      '/v1/partner/user/../user/x/fetch',
    ]) {
      const res = await raw(path);
      assert.equal(res.status, 404, path);
      assert.deepEqual(res.body, { message: 'Not found', code: 'NOT_FOUND' });
      assert.equal(api.requests.at(-1).op, 'unknown');
      assert.equal(api.requests.at(-1).rawPath, path);
    }
    assert.equal((await raw('/v1/partner/user/..%2F..%2Fx/fetch')).status, 404);
    assert.equal(api.requests.at(-1).userId, '../../x');
  });

  test('malformed percent-encoding answers 400', async () => {
    const res = await raw('/v1/partner/user/%E0%A4%A/fetch');
    assert.equal(res.status, 400);
    assert.equal(res.body.code, 'BAD_REQUEST');
    assert.equal(api.requests.at(-1).op, 'fetch');
  });

  test('unknown paths answer 404 (op unknown)', async () => {
    for (const path of [
      '/v1/partner/user/list/',
      '/v1/partner/user',
      '/v2/partner/user/list',
      '/v1/partner/user//fetch',
      '/v1/partner/user/x/y/z/w/v',
    ]) {
      const res = await json(path);
      assert.equal(res.status, 404, path);
      assert.deepEqual(res.body, { message: 'Not found', code: 'NOT_FOUND' });
    }
    assert.equal(api.calls('unknown'), 5);
  });

  test('wrong method answers 405', async () => {
    const a = await call('/v1/partner/user/list', { method: 'POST', body: {} });
    assert.equal(a.status, 405);
    assert.equal(a.headers.get('allow'), 'GET');
    assert.equal((await a.json()).code, 'ERROR_405');
    assert.equal((await call('/v1/partner/user/create')).status, 405);
    assert.equal((await call('/v1/partner/user/x/fetch', { method: 'DELETE' })).status, 405);
    assert.equal(api.users.size, 0);
  });
});

describe('request log', () => {
  test('records every request; calls() and resetRequests()', async () => {
    const user = api.addUser({ email: 'a@x.io' });
    await json('/v1/partner/user/list?email=a%40x.io&meta.k=v');
    await post('/v1/partner/user/create', { name: 'n' });
    await json(`/v1/partner/user/${user.id}/fetch`);
    await json(`/v1/partner/user/${user.id}/fetch`, { auth: null });
    assert.equal(api.calls(), 4);
    assert.equal(api.calls('fetch'), 2);
    assert.equal(api.calls('create'), 1);
    assert.equal(api.calls('delete'), 0);
    const [list, create, fetched, denied] = api.requests;
    assert.equal(list.method, 'GET');
    assert.equal(list.path, '/v1/partner/user/list');
    assert.deepEqual(list.query, { email: 'a@x.io', 'meta.k': 'v' });
    assert.equal(list.body, null);
    assert.equal(list.status, 200);
    assert.equal(list.fault, null);
    assert.deepEqual(create.body, { name: 'n' });
    assert.equal(create.headers['content-type'], 'application/json');
    assert.equal(fetched.userId, user.id);
    assert.equal(fetched.authorized, true);
    assert.equal(denied.authorized, false);
    assert.equal(denied.status, 401);
    api.resetRequests();
    assert.equal(api.calls(), 0);
    assert.equal(api.requests.length, 0);
  });
});

describe('reset', () => {
  test('reset() returns to the started state: seeded users, no faults, logs, sessions or tokens, first latency', async () => {
    const other = await startFakePartnerApi({
      secret: 's',
      latency: 120,
      users: [{ id: 'usr_seed', email: 'seed@x.io' }],
    });
    const auth = { headers: { authorization: 'Bearer s' } };
    try {
      other.addUser({ id: 'usr_extra', email: 'extra@x.io' });
      other.users.get('usr_seed').name = 'changed';
      await fetch(`${other.url}/v1/partner/user/usr_seed/session/create`, {
        method: 'POST',
        ...auth,
        body: '{}',
      });
      await fetch(`${other.url}/v1/partner/user/usr_seed/token/create`, {
        method: 'POST',
        ...auth,
        body: '{}',
      });
      assert.equal(other.sessions.length, 1);
      assert.equal(other.tokens.size, 1);
      other.fail({ status: 503, times: Infinity });
      other.setLatency(0);

      other.reset();
      assert.deepEqual([...other.users.keys()], ['usr_seed']);
      assert.equal(other.users.get('usr_seed').name, undefined);
      assert.equal(other.sessions.length, 0);
      assert.equal(other.tokens.size, 0);
      assert.equal(other.requests.length, 0);
      const t0 = Date.now();
      const answer = await fetch(`${other.url}/v1/partner/user/usr_seed/fetch`, auth);
      assert.equal(answer.status, 200, 'the queued fault is gone');
      assert.ok(Date.now() - t0 >= 115, 'the starting latency is back');
    } finally {
      await other.close();
    }
  });
});

describe('latency', () => {
  test('options.latency and setLatency delay every answer', async () => {
    const other = await startFakePartnerApi({ secret: 's', latency: 250 });
    try {
      const t0 = Date.now();
      await fetch(`${other.url}/v1/partner/user/list`, { headers: { authorization: 'Bearer s' } });
      assert.ok(Date.now() - t0 >= 245);
      other.setLatency(0);
      const t1 = Date.now();
      await fetch(`${other.url}/v1/partner/user/list`, { headers: { authorization: 'Bearer s' } });
      assert.ok(Date.now() - t1 < 200);
      assert.throws(() => other.setLatency(-1), TypeError);
    } finally {
      await other.close();
    }
  });
});

describe('faults', () => {
  test('status: standard error bodies and extra headers', async () => {
    const expected = {
      400: 'BAD_REQUEST',
      401: 'NOT_AUTHENTICATED',
      403: 'NOT_AUTHORIZED',
      404: 'NOT_FOUND',
      409: 'CONFLICT',
      429: 'TOO_MANY_REQUESTS',
      500: 'INTERNAL_SERVER_ERROR',
      502: 'ERROR_502',
      503: 'SERVICE_UNAVAILABLE',
      504: 'GATEWAY_TIMEOUT',
      418: 'ERROR_418',
    };
    for (const [status, code] of Object.entries(expected)) {
      api.fail({ status: Number(status), headers: { 'retry-after': '1' } });
      const res = await json('/v1/partner/user/list');
      assert.equal(res.status, Number(status));
      assert.equal(res.body.code, code);
      assert.equal(typeof res.body.message, 'string');
      assert.equal(res.headers.get('retry-after'), '1');
      assert.equal(api.requests.at(-1).fault, 'status');
      assert.equal(api.requests.at(-1).status, Number(status));
    }
    assert.equal((await call('/v1/partner/user/list')).status, 200);
    assert.deepEqual((await json('/v1/partner/user/list')).body, { items: [] });
  });

  test('status: custom object and string bodies; mode defaults to status 500', async () => {
    api.fail({ status: 409, body: { message: 'taken', code: 'CONFLICT', extra: 1 } });
    assert.deepEqual((await json('/v1/partner/user/list')).body, {
      message: 'taken',
      code: 'CONFLICT',
      extra: 1,
    });
    api.fail({ status: 502, body: 'Bad Gateway' });
    const res = await call('/v1/partner/user/list');
    assert.equal(res.status, 502);
    assert.match(res.headers.get('content-type'), /^text\/plain/);
    assert.equal(await res.text(), 'Bad Gateway');
    api.fail({});
    assert.equal((await call('/v1/partner/user/list')).status, 500);
  });

  test('times and op filter; faults are consumed in order', async () => {
    const user = api.addUser({});
    api.fail({ op: 'fetch', status: 503, times: 2 });
    assert.equal((await call('/v1/partner/user/list')).status, 200);
    assert.equal((await call(`/v1/partner/user/${user.id}/fetch`)).status, 503);
    assert.equal((await call(`/v1/partner/user/${user.id}/fetch`)).status, 503);
    assert.equal((await call(`/v1/partner/user/${user.id}/fetch`)).status, 200);

    api.fail({ status: 500 });
    api.fail({ status: 429 });
    assert.equal((await call('/v1/partner/user/list')).status, 500);
    assert.equal((await call('/v1/partner/user/list')).status, 429);
    assert.equal((await call('/v1/partner/user/list')).status, 200);
  });

  test('clearFaults() drops queued faults; bad specs throw', async () => {
    api.fail({ status: 500, times: Infinity });
    assert.equal((await call('/v1/partner/user/list')).status, 500);
    api.clearFaults();
    assert.equal((await call('/v1/partner/user/list')).status, 200);
    assert.throws(() => api.fail({ mode: 'explode' }), TypeError);
    assert.throws(() => api.fail({ op: 'frobnicate' }), TypeError);
    assert.throws(() => api.fail({ times: 0 }), TypeError);
  });

  test('status with apply: the write happens, the answer is an error', async () => {
    api.fail({ op: 'create', status: 500, apply: true });
    assert.equal((await post('/v1/partner/user/create', { email: 'a@x.io' })).status, 500);
    assert.equal(api.users.size, 1);
    const [user] = api.users.values();
    assert.equal(user.email, 'a@x.io');

    api.fail({ op: 'update', status: 504, apply: true });
    assert.equal((await post(`/v1/partner/user/${user.id}/update`, { name: 'N' })).status, 504);
    assert.equal(user.name, 'N');

    api.fail({ op: 'delete', status: 502, apply: true });
    assert.equal((await post(`/v1/partner/user/${user.id}/delete`)).status, 502);
    assert.equal(api.users.size, 0);

    api.fail({ op: 'create', status: 500 });
    assert.equal((await post('/v1/partner/user/create', { email: 'b@x.io' })).status, 500);
    assert.equal(api.users.size, 0);
  });

  test('apply does not bypass authentication', async () => {
    api.fail({ op: 'create', status: 500, apply: true });
    assert.equal((await post('/v1/partner/user/create', {}, { auth: null })).status, 500);
    assert.equal(api.users.size, 0);
  });

  test('hang: never answers, still logged', async () => {
    api.fail({ op: 'list', mode: 'hang' });
    await assert.rejects(call('/v1/partner/user/list', { signal: AbortSignal.timeout(150) }), {
      name: 'TimeoutError',
    });
    assert.equal(api.calls('list'), 1);
    assert.equal(api.requests[0].fault, 'hang');
    assert.equal(api.requests[0].status, null);
    assert.equal((await call('/v1/partner/user/list')).status, 200);
  });

  test('hang with apply: the delete happens though no answer comes', async () => {
    const user = api.addUser({});
    api.fail({ op: 'delete', mode: 'hang', apply: true });
    await assert.rejects(
      post(`/v1/partner/user/${user.id}/delete`, {}, { signal: AbortSignal.timeout(150) }),
    );
    assert.equal(api.users.size, 0);
  });

  test('close() destroys hung sockets promptly', async () => {
    api.fail({ mode: 'hang' });
    const pending = call('/v1/partner/user/list');
    await until(() => api.calls() === 1);
    const t0 = Date.now();
    await api.close();
    assert.ok(Date.now() - t0 < 1000);
    await assert.rejects(pending);
  });

  test('close() cancels pending delays', async () => {
    api.fail({ mode: 'delay', delay: 60_000 });
    const pending = call('/v1/partner/user/list');
    await until(() => api.calls() === 1);
    await api.close();
    await assert.rejects(pending);
  });

  test('reset: the connection drops without an answer', async () => {
    api.fail({ op: 'fetch', mode: 'reset' });
    await assert.rejects(call('/v1/partner/user/x/fetch'), TypeError);
    assert.equal(api.requests[0].fault, 'reset');
    assert.equal(api.requests[0].status, null);
    assert.equal((await call('/v1/partner/user/x/fetch')).status, 404);
  });

  test('garbage: 200 with an HTML body', async () => {
    api.fail({ mode: 'garbage' });
    const res = await call('/v1/partner/user/list');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/html');
    assert.equal(await res.text(), '<html>oops</html>');
  });

  test('truncate: the body stops short of its Content-Length', async () => {
    const user = api.addUser({});
    api.fail({ op: 'fetch', mode: 'truncate' });
    const res = await call(`/v1/partner/user/${user.id}/fetch`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/json');
    assert.ok(Number(res.headers.get('content-length')) > 0);
    await assert.rejects(res.text());
    assert.equal(api.requests[0].fault, 'truncate');
  });

  test('huge: a valid JSON body over 8 MiB', async () => {
    api.fail({ op: 'list', mode: 'huge' });
    const res = await call('/v1/partner/user/list');
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.ok(text.length > 8 * 1024 * 1024);
    assert.ok(Array.isArray(JSON.parse(text).items));
  });

  test('huge: a client that gives up early does not break the server', async () => {
    api.fail({ mode: 'huge' });
    const res = await call('/v1/partner/user/list');
    const reader = res.body.getReader();
    await reader.read();
    await reader.cancel();
    assert.equal((await call('/v1/partner/user/list')).status, 200);
  });

  test('wrongShape: valid JSON of the wrong shape', async () => {
    const user = api.addUser({});
    api.fail({ mode: 'wrongShape', times: 2 });
    assert.deepEqual((await json('/v1/partner/user/list')).body, { unexpected: true });
    const res = await json(`/v1/partner/user/${user.id}/fetch`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, [1, 2]);
  });

  test('delay: answers normally, later', async () => {
    api.fail({ op: 'create', delay: 150 });
    const t0 = Date.now();
    const pending = post('/v1/partner/user/create', { name: 'late' });
    await until(() => api.calls() === 1);
    assert.equal(api.users.size, 0); // not yet performed
    const res = await pending;
    assert.ok(Date.now() - t0 >= 145);
    assert.equal(res.status, 200);
    assert.equal(api.users.get(res.body.id).name, 'late');
    assert.equal(api.requests[0].fault, 'delay');
  });

  test('delay with apply: the write happens at once, the answer later', async () => {
    api.fail({ op: 'create', mode: 'delay', delay: 800, apply: true });
    const pending = post('/v1/partner/user/create', { name: 'early' });
    await until(() => api.users.size === 1, 600);
    assert.equal(api.requests[0].status, null); // not answered yet
    const res = await pending;
    assert.equal(res.status, 200);
    assert.equal(api.users.size, 1);
    assert.ok(api.users.has(res.body.id));
  });

  test('delay before a status fault', async () => {
    api.fail({ status: 503, delay: 100 });
    const t0 = Date.now();
    assert.equal((await call('/v1/partner/user/list')).status, 503);
    assert.ok(Date.now() - t0 >= 95);
  });
});
