// Tests of the fake ChatBotKit API's contacts (testing/fake-contacts.js):
// the routes of chatbotkit-contact.openapi.json, served beside partner users.
import { describe, test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { startFakePartnerApi } from 'nextauth-chatbotkit/testing';

let api;
before(async () => {
  api = await startFakePartnerApi({
    secret: 's3cret',
    contacts: [{ id: 'con_seed', email: 'seed@example.com', meta: { email: 'seed@example.com' } }],
  });
});
after(() => api.close());
beforeEach(() => api.reset());

async function call(path, { method = 'GET', body, auth = `Bearer ${api.secret}` } = {}) {
  const headers = { authorization: auth };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(api.url + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}
const post = (path, body = {}) => call(path, { method: 'POST', body });

describe('contacts', () => {
  test('seeded contacts are there after reset, with a fingerprint', () => {
    const seeded = api.contacts.get('con_seed');
    assert.equal(seeded.email, 'seed@example.com');
    assert.match(seeded.fingerprint, /^fp_[0-9a-f]+$/);
    assert.equal(typeof seeded.createdAt, 'number');
  });

  test('create, fetch, update (given fields replace stored ones), delete', async () => {
    const created = await post('/v1/contact/create', {
      name: 'Ada',
      email: 'ada@example.com',
      meta: { email: 'ada@example.com', plan: 'pro' },
      verifiedAt: 1000,
    });
    assert.equal(created.status, 200);
    const { id } = created.body;
    assert.match(id, /^con_/);
    const fetched = await call(`/v1/contact/${id}/fetch`);
    assert.equal(fetched.body.name, 'Ada');
    assert.equal(fetched.body.verifiedAt, 1000);
    assert.match(fetched.body.fingerprint, /^fp_/);

    const updated = await post(`/v1/contact/${id}/update`, { meta: { email: 'ada@example.com' } });
    assert.deepEqual(updated.body, { id });
    assert.deepEqual(api.contacts.get(id).meta, { email: 'ada@example.com' });
    assert.equal(api.contacts.get(id).name, 'Ada', 'fields not given are kept');

    assert.deepEqual((await post(`/v1/contact/${id}/delete`)).body, { id });
    assert.equal((await call(`/v1/contact/${id}/fetch`)).status, 404);
    assert.equal((await post(`/v1/contact/${id}/delete`)).status, 404);
  });

  test('ensure returns the contact with the fingerprint, or creates it; it needs one', async () => {
    const first = await post('/v1/contact/ensure', { fingerprint: 'fp-1', email: 'e@example.com' });
    const again = await post('/v1/contact/ensure', { fingerprint: 'fp-1', email: 'other@x.com' });
    assert.equal(first.status, 200);
    assert.equal(again.body.id, first.body.id);
    assert.equal(api.contacts.get(first.body.id).email, 'e@example.com', 'ensure does not update');
    assert.equal((await post('/v1/contact/ensure', { email: 'e@example.com' })).status, 400);
    assert.equal((await post('/v1/contact/create', { fingerprint: 'fp-1' })).status, 409);
  });

  test('list filters by meta[key]=value and pages with a cursor', async () => {
    for (let i = 0; i < 3; i++) api.addContact({ meta: { team: 'a' }, createdAt: 1000 + i });
    api.addContact({ meta: { team: 'b' } });
    const page = await call('/v1/contact/list?meta%5Bteam%5D=a&order=asc&take=2');
    assert.equal(page.body.items.length, 2);
    assert.ok(page.body.cursor);
    const rest = await call(
      `/v1/contact/list?meta%5Bteam%5D=a&order=asc&take=2&cursor=${page.body.cursor}`,
    );
    assert.equal(rest.body.items.length, 1);
    assert.equal(rest.body.cursor, undefined);
    for (const c of [...page.body.items, ...rest.body.items]) assert.equal(c.meta.team, 'a');
  });

  test('bodies are checked against the documented types', async () => {
    assert.equal((await post('/v1/contact/create', { email: 42 })).status, 400);
    assert.equal((await post('/v1/contact/create', { verifiedAt: 'today' })).status, 400);
    assert.equal((await post('/v1/contact/create', { meta: 'x' })).status, 400);
  });

  test('requests are logged with their operation and contact id; the secret is required', async () => {
    api.resetRequests();
    await call('/v1/contact/a%2Fb/fetch');
    assert.deepEqual(
      api.requests.map((r) => [r.op, r.contactId, r.status]),
      [['contactFetch', 'a/b', 404]],
    );
    assert.equal((await call('/v1/contact/list', { auth: 'Bearer wrong' })).status, 401);
    assert.equal(api.calls('contactList'), 1);
  });

  test('faults apply to contact operations', async () => {
    api.fail({ op: 'contactEnsure', status: 503 });
    assert.equal((await post('/v1/contact/ensure', { fingerprint: 'f' })).status, 503);
    assert.equal((await post('/v1/contact/ensure', { fingerprint: 'f' })).status, 200);
    api.fail({ op: 'contactList', mode: 'wrongShape' });
    assert.deepEqual((await call('/v1/contact/list')).body, { unexpected: true });
  });

  test('ignoreContactFilter: list answers every contact', async () => {
    const careless = await startFakePartnerApi({ ignoreContactFilter: true });
    try {
      careless.addContact({ meta: { email: 'x@example.com' } });
      const res = await fetch(`${careless.url}/v1/contact/list?meta%5Bemail%5D=nobody`, {
        headers: { authorization: `Bearer ${careless.secret}` },
      });
      assert.equal((await res.json()).items.length, 1);
    } finally {
      await careless.close();
    }
  });
});
