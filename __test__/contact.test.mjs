// What the Contact adapter guarantees beyond the shared contract
// (contract.test.mjs runs that on both families): look-ups that never answer
// with a stranger, one contact per email however sign-ins race or retry,
// emailVerified ↔ verifiedAt, partial updates, lifecycle codes, and the
// original's options.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  ChatBotKitContactAdapter,
  ContactMemoryStore,
  AdapterError,
} from 'nextauth-chatbotkit/contact';
import { useFakeApi } from './helpers/api.mjs';
import { rejectsWith } from './helpers/assert.mjs';
import { FAMILIES } from './helpers/families.mjs';

const { seed } = FAMILIES.contact;

/** The fingerprint the adapter gives the contact of an email (README: Contact adapter). */
const fingerprintOf = (email) =>
  `nextauth-email-sha256:${createHash('sha256').update(email.trim().toLowerCase()).digest('hex')}`;

const api = useFakeApi({}, { reset: true }); // honours the meta filter
// answers every contact whatever the filter
const careless = useFakeApi({ ignoreContactFilter: true }, { reset: true });

const adapterOn = (fake, options = {}) =>
  ChatBotKitContactAdapter({
    secret: fake.secret,
    baseUrl: fake.url,
    store: new ContactMemoryStore(),
    retries: 0,
    ...options,
  });

const contactsWith = (fake, email) =>
  [...fake.contacts.values()].filter((c) => c.email?.trim().toLowerCase() === email);

describe('looking a contact up by email', () => {
  test('matches trimmed and in any case, and answers the contact', async () => {
    const ada = seed(api, { email: 'ada@example.com', name: 'Ada' });
    const adapter = adapterOn(api);
    for (const spelling of ['ada@example.com', '  ADA@Example.COM ']) {
      const user = await adapter.getUserByEmail(spelling);
      assert.equal(user?.id, ada.id, spelling);
      assert.equal(user.email, 'ada@example.com');
    }
    const [list] = api.requests.filter((r) => r.op === 'contactList');
    assert.equal(list.query['meta[email]'], 'ada@example.com', 'filtered by the normalised email');
  });

  test('never answers another contact, even when the server ignores the filter', async () => {
    for (let i = 0; i < 3; i++) seed(careless, { email: `stranger${i}@example.com` });
    const adapter = adapterOn(careless);
    assert.equal(await adapter.getUserByEmail('nobody@example.com'), null);
    const grace = seed(careless, { email: 'grace@example.com' });
    assert.equal((await adapter.getUserByEmail('Grace@example.com'))?.id, grace.id);
  });

  test('a contact listed under a meta email that is not its own is not a match', async () => {
    // The filter matched meta.email, but the contact's own email is another.
    seed(api, { email: 'real@example.com', meta: {} });
    const liar = api.addContact({
      email: 'other@example.com',
      meta: { email: 'real@example.com' },
    });
    const adapter = adapterOn(api);
    const found = await adapter.getUserByEmail('real@example.com');
    assert.notEqual(found?.id, liar.id);
  });

  test('finds contacts the original adapter made (meta.email as typed)', async () => {
    const old = api.addContact({
      email: 'Mixed.Case@Example.com',
      meta: { email: 'Mixed.Case@Example.com', image: '' },
    });
    const adapter = adapterOn(api);
    assert.equal((await adapter.getUserByEmail('Mixed.Case@Example.com'))?.id, old.id);
  });
});

describe('creating contacts', () => {
  test('goes through ensure with a fingerprint of the normalised email', async () => {
    const adapter = adapterOn(api, { autoCreateContact: true });
    const user = await adapter.createUser({ email: ' Lin@Example.com', emailVerified: null });
    const [ensure] = api.requests.filter((r) => r.op === 'contactEnsure');
    assert.equal(ensure.body.fingerprint, fingerprintOf('lin@example.com'));
    assert.doesNotMatch(ensure.body.fingerprint, /lin/i, 'the fingerprint is not the address');
    assert.equal(api.calls('contactCreate'), 0);
    const stored = api.contacts.get(user.id);
    assert.equal(stored.fingerprint, ensure.body.fingerprint);
    assert.equal(stored.email, 'lin@example.com', 'created with the normalised email');
    assert.equal(stored.meta.email, 'lin@example.com');
  });

  test('concurrent first sign-ins with one email (any spelling) make one contact', async () => {
    const adapter = adapterOn(api, { autoCreateContact: true });
    const spellings = ['sam@example.com', 'Sam@example.com', ' SAM@EXAMPLE.COM '];
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) =>
        adapter.createUser({ email: spellings[i % 3], emailVerified: null }),
      ),
    );
    const ids = new Set();
    for (const r of results) {
      if (r.status === 'fulfilled') ids.add(r.value.id);
      else assert.equal(r.reason.code, 'DUPLICATE_USER', r.reason.message);
    }
    assert.equal(contactsWith(api, 'sam@example.com').length, 1, 'one contact');
    assert.equal(ids.size, 1, 'every successful createUser answers that contact');
  });

  test('a retried ensure whose first answer was lost makes one contact', async () => {
    const adapter = adapterOn(api, { autoCreateContact: true, retries: 2, retryDelay: 1 });
    api.fail({ op: 'contactEnsure', mode: 'reset', apply: true });
    const user = await adapter.createUser({ email: 'lost@example.com', emailVerified: null });
    assert.equal(api.calls('contactEnsure'), 2);
    assert.deepEqual(
      contactsWith(api, 'lost@example.com').map((c) => c.id),
      [user.id],
    );
  });

  test('after an email change, a sign-up with the old address makes a new contact', async () => {
    const adapter = adapterOn(api, { autoCreateContact: true });
    const first = await adapter.createUser({ email: 'moving@example.com', emailVerified: null });
    await adapter.updateUser({ id: first.id, email: 'moved@example.com' });
    const stored = api.contacts.get(first.id);
    assert.equal(stored.fingerprint, fingerprintOf('moved@example.com'), 'the fingerprint follows');
    const second = await adapter.createUser({ email: 'moving@example.com', emailVerified: null });
    assert.notEqual(second.id, first.id);
    assert.equal(api.contacts.get(first.id).email, 'moved@example.com', 'the first is untouched');
  });

  test('a fingerprint held by a contact with another email is never handed out', async () => {
    // Changed outside the adapter: the fingerprint still says the old address.
    const taken = api.addContact({
      fingerprint: fingerprintOf('old@example.com'),
      email: 'someone.else@example.com',
      meta: { email: 'someone.else@example.com' },
    });
    const adapter = adapterOn(api, { autoCreateContact: true });
    await rejectsWith(
      adapter.createUser({ email: 'old@example.com', emailVerified: null }),
      'DUPLICATE_USER',
    );
    assert.equal(api.contacts.get(taken.id).email, 'someone.else@example.com');
    assert.equal(contactsWith(api, 'old@example.com').length, 0);
  });

  test('a second createUser for an existing email is DUPLICATE_USER', async () => {
    seed(api, { email: 'twice@example.com' });
    const adapter = adapterOn(api, { autoCreateContact: true });
    await rejectsWith(adapter.createUser({ email: 'Twice@example.com' }), 'DUPLICATE_USER');
    assert.equal(api.calls('contactEnsure'), 0);
  });
});

describe('emailVerified is verifiedAt', () => {
  test('createUser writes it; getUser reads it back', async () => {
    const adapter = adapterOn(api, { autoCreateContact: true });
    const at = new Date(Date.UTC(2025, 0, 2, 3, 4, 5, 6));
    const user = await adapter.createUser({ email: 'v@example.com', emailVerified: at });
    assert.equal(api.contacts.get(user.id).verifiedAt, at.getTime());
    assert.deepEqual((await adapter.getUser(user.id)).emailVerified, at);
  });

  test('updateUser sets it and keeps everything it was not given', async () => {
    const c = seed(api, {
      email: 'keep@example.com',
      name: 'Keep Me',
      image: 'https://example.com/k.png',
      meta: { plan: 'pro' },
      phone: '+100',
    });
    const adapter = adapterOn(api);
    const at = new Date(Date.UTC(2025, 5, 6));
    const updated = await adapter.updateUser({ id: c.id, emailVerified: at });
    assert.deepEqual(updated, {
      id: c.id,
      email: 'keep@example.com',
      emailVerified: at,
      name: 'Keep Me',
      image: 'https://example.com/k.png',
    });
    const stored = api.contacts.get(c.id);
    assert.equal(stored.verifiedAt, at.getTime());
    assert.equal(stored.name, 'Keep Me');
    assert.equal(stored.phone, '+100');
    assert.deepEqual(stored.meta, {
      plan: 'pro',
      email: 'keep@example.com',
      image: 'https://example.com/k.png',
    });
    const [update] = api.requests.filter((r) => r.op === 'contactUpdate');
    assert.deepEqual(Object.keys(update.body), ['verifiedAt'], 'only what changed is sent');
  });

  test('changing the image or email keeps the other meta keys', async () => {
    const c = seed(api, { email: 'm@example.com', meta: { plan: 'pro' } });
    const adapter = adapterOn(api);
    await adapter.updateUser({ id: c.id, image: 'https://example.com/new.png' });
    await adapter.updateUser({ id: c.id, email: 'New@Example.com' });
    const stored = api.contacts.get(c.id);
    assert.equal(stored.email, 'New@Example.com');
    assert.deepEqual(stored.meta, {
      plan: 'pro',
      email: 'new@example.com',
      image: 'https://example.com/new.png',
    });
    assert.equal((await adapter.getUserByEmail('new@example.com'))?.id, c.id);
  });

  test('clearing it is refused with INVALID_INPUT (the API cannot unset verifiedAt)', async () => {
    const c = seed(api, { email: 'set@example.com', verifiedAt: 1000 });
    const adapter = adapterOn(api);
    await rejectsWith(adapter.updateUser({ id: c.id, emailVerified: null }), 'INVALID_INPUT');
    assert.equal(api.contacts.get(c.id).verifiedAt, 1000);
    assert.equal(api.calls('contactUpdate'), 0);
  });
});

describe('lifecycle and options', () => {
  test('the defaults: create and delete refused, update allowed', async () => {
    const c = seed(api, { email: 'life@example.com' });
    const adapter = adapterOn(api);
    await rejectsWith(adapter.createUser({ email: 'new@example.com' }), 'CREATE_DISABLED');
    await rejectsWith(adapter.deleteUser(c.id), 'DELETE_DISABLED');
    assert.equal((await adapter.updateUser({ id: c.id, name: 'Life' })).name, 'Life');
    assert.equal(api.calls('contactEnsure') + api.calls('contactDelete'), 0);
  });

  test('autoUpdateContact: false refuses updates (UPDATE_DISABLED)', async () => {
    const c = seed(api, { email: 'frozen@example.com', name: 'Frozen' });
    const adapter = adapterOn(api, { autoUpdateContact: false });
    await rejectsWith(adapter.updateUser({ id: c.id, name: 'Thawed' }), 'UPDATE_DISABLED');
    assert.equal(api.contacts.get(c.id).name, 'Frozen');
  });

  test('autoDeleteContact: true deletes the contact', async () => {
    const c = seed(api, { email: 'bye@example.com' });
    const adapter = adapterOn(api, { autoDeleteContact: true });
    await adapter.deleteUser(c.id);
    assert.equal(api.contacts.has(c.id), false);
  });

  test('a partner lifecycle option is a CONFIG error naming the contact one', async () => {
    for (const [wrong, right] of [
      ['autoCreateUser', 'autoCreateContact'],
      ['autoUpdateUser', 'autoUpdateContact'],
      ['autoDeleteUser', 'autoDeleteContact'],
    ]) {
      assert.throws(
        () => adapterOn(api, { [wrong]: true }),
        (e) => e instanceof AdapterError && e.code === 'CONFIG' && e.message.includes(right),
      );
    }
    assert.throws(
      () => ChatBotKitContactAdapter(),
      (e) => e.code === 'CONFIG',
    );
    // As for the partner adapter, an unset secret is reported by the first call.
    const unset = ChatBotKitContactAdapter({ store: new ContactMemoryStore() });
    await rejectsWith(unset.getUser('con_1'), 'CONFIG');
  });

  test('a contact with no email signs in under the original stand-in address', async () => {
    const c = api.addContact({ fingerprint: 'visitor-1', name: 'Visitor' });
    const user = await adapterOn(api).getUser(c.id);
    assert.equal(user.email, 'visitor-1@contact.local');
    assert.equal(user.emailVerified, null);
  });

  test('contact ids stay one path segment', async () => {
    const adapter = adapterOn(api);
    for (const id of ['../x', 'a/b', '..', '?q=1']) assert.equal(await adapter.getUser(id), null);
    for (const r of api.requests) assert.match(r.rawPath, /^\/v1\/contact\/[^/]+\/fetch$/);
  });
});
