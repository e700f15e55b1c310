// Users through the adapter: ChatBotKit partner users over the (fake) Partner API.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AdapterError } from '../index.mjs';
import { startFakePartnerApi } from '../testing/index.mjs';
import { partnerAdapter, useFakeApi } from './helpers/api.mjs';
import { rejectsWith } from './helpers/assert.mjs';

const api = useFakeApi();

let seq = 0;
/** A fresh, unique email. */
const uniqueEmail = (name = 'user') => `${name}.${++seq}.${Date.now()}@example.com`;

const adapterFor = (options = {}, target = api) =>
  partnerAdapter(target, { retries: 0, ...options });

const USER_KEYS = ['email', 'emailVerified', 'id', 'image', 'name'];

describe('getUser', () => {
  test('finds a partner user and maps it to the Auth.js shape', async () => {
    const seeded = api.addUser({
      email: uniqueEmail('ada'),
      name: 'Ada',
      image: 'https://img.example/ada.png',
      description: 'not part of the Auth.js user',
      meta: { emailVerified: 1_700_000_000_000 },
    });
    const user = await adapterFor().getUser(seeded.id);
    assert.deepEqual(user, {
      id: seeded.id,
      email: seeded.email,
      emailVerified: new Date(1_700_000_000_000),
      name: 'Ada',
      image: 'https://img.example/ada.png',
    });
    assert.deepEqual(Object.keys(user).sort(), USER_KEYS);
  });

  test('an unknown id gives null', async () => {
    assert.equal(await adapterFor().getUser('usr_does_not_exist'), null);
  });

  test('a partner user without an email is a MISSING_EMAIL error', async () => {
    const seeded = api.addUser({ name: 'No Mail' });
    await rejectsWith(adapterFor().getUser(seeded.id), 'MISSING_EMAIL');
    const blank = api.addUser({ name: 'Blank Mail', email: '   ' });
    await rejectsWith(adapterFor().getUser(blank.id), 'MISSING_EMAIL');
  });

  test('emailVerified falls back to createdAt for a user without the meta key', async () => {
    const createdAt = 1_650_000_000_123;
    const seeded = api.addUser({ email: uniqueEmail('old'), createdAt, meta: { plan: 'free' } });
    const user = await adapterFor().getUser(seeded.id);
    assert.ok(user.emailVerified instanceof Date);
    assert.equal(user.emailVerified.getTime(), createdAt);
  });

  test('emailVerified: null in meta stays null (no createdAt fallback)', async () => {
    const seeded = api.addUser({ email: uniqueEmail('unverified'), meta: { emailVerified: null } });
    const user = await adapterFor().getUser(seeded.id);
    assert.equal(user.emailVerified, null);
  });
});

describe('user ids are one path segment', () => {
  const ids = [
    'a/b',
    '../../list',
    'x/..',
    'q?email=victim@example.com',
    'h#frag',
    '%2e%2e',
    '%2E%2E%2Flist',
    'back\\slash',
    '..\\..\\x',
    'ü/../x',
    'sp ace',
    '...',
  ];

  test('getUser finds exactly the user with that id, over a single-segment path', async () => {
    // Decoys that a mis-encoded path could reach instead.
    for (const id of ['x', 'b', 'list', 'a']) {
      if (!api.users.has(id)) api.addUser({ id, email: uniqueEmail(`decoy-${id}`) });
    }
    const emails = new Map();
    for (const id of ids) {
      const email = uniqueEmail('odd');
      emails.set(id, email);
      api.addUser({ id, email });
    }
    const adapter = adapterFor();
    api.resetRequests();
    for (const id of ids) {
      const user = await adapter.getUser(id);
      assert.ok(user, `getUser(${JSON.stringify(id)}) found nobody`);
      assert.equal(user.id, id);
      assert.equal(user.email, emails.get(id));
    }
    assert.equal(api.requests.length, ids.length);
    ids.forEach((id, i) => {
      const request = api.requests[i];
      assert.equal(request.op, 'fetch', request.rawPath);
      assert.equal(request.userId, id);
      const m = /^\/v1\/partner\/user\/([^/?#]+)\/fetch$/.exec(request.rawPath);
      assert.ok(m, `rawPath ${request.rawPath} is not /v1/partner/user/<one segment>/fetch`);
      const segment = m[1];
      assert.ok(!segment.includes('\\'), `unencoded backslash in ${request.rawPath}`);
      assert.equal(decodeURIComponent(segment), id);
      // Never a dot segment, literal or percent-encoded.
      assert.doesNotMatch(segment, /^(\.|%2e){1,2}$/i);
      assert.equal(Object.keys(request.query).length, 0, 'no query string on a fetch');
    });
  });

  test('ids "." and ".." give null without any request', async () => {
    const adapter = adapterFor();
    api.resetRequests();
    assert.equal(await adapter.getUser('.'), null);
    assert.equal(await adapter.getUser('..'), null);
    assert.equal(api.calls(), 0);
  });
});

describe('getUserByEmail', () => {
  test('finds the user; the match is trimmed and case-insensitive', async () => {
    const email = uniqueEmail('grace');
    const seeded = api.addUser({ email, name: 'Grace' });
    const adapter = adapterFor();
    for (const asked of [
      email,
      email.toUpperCase(),
      `  ${email}  `,
      `\t${email.toUpperCase()}\n`,
    ]) {
      const user = await adapter.getUserByEmail(asked);
      assert.ok(user, `no user for ${JSON.stringify(asked)}`);
      assert.equal(user.id, seeded.id);
      assert.equal(user.name, 'Grace');
    }
  });

  test('finds a user stored with a mixed-case email', async () => {
    const email = uniqueEmail('MiXeD');
    const seeded = api.addUser({ email: email.replace('example', 'ExAmPle') });
    const user = await adapterFor().getUserByEmail(email.toLowerCase());
    assert.equal(user?.id, seeded.id);
  });

  test('an unknown email gives null', async () => {
    assert.equal(await adapterFor().getUserByEmail(uniqueEmail('nobody')), null);
  });

  test('an empty email gives null', async () => {
    assert.equal(await adapterFor().getUserByEmail(''), null);
    assert.equal(await adapterFor().getUserByEmail('   '), null);
  });

  test('against a server that ignores the email filter, never another user', async () => {
    const lax = await startFakePartnerApi({ ignoreEmailFilter: true });
    try {
      const base = Date.now() - 100_000;
      const seeded = [];
      for (let i = 0; i < 15; i++) {
        seeded.push(lax.addUser({ email: `person${i}@example.com`, createdAt: base + i * 1000 }));
      }
      const adapter = adapterFor({}, lax);

      // Not a user at all: the server answers other users, the adapter null.
      assert.equal(await adapter.getUserByEmail('stranger@example.com'), null);
      assert.ok(lax.calls('list') >= 1);

      // A user that is among what the server answers: exactly that one.
      lax.resetRequests();
      const found = await adapter.getUserByEmail('PERSON3@example.com');
      assert.equal(found?.id, seeded[3].id);

      // Every user the server answered must not be mistaken for the one
      // asked: whatever comes back is that user or nobody.
      for (const i of [0, 7, 14]) {
        const user = await adapter.getUserByEmail(`person${i}@example.com`);
        if (user !== null) assert.equal(user.id, seeded[i].id);
      }
    } finally {
      await lax.close();
    }
  });
});

describe('createUser', () => {
  test('refused with CREATE_DISABLED by default, without any Partner API call', async () => {
    const adapter = adapterFor();
    const before = api.users.size;
    api.resetRequests();
    await rejectsWith(
      adapter.createUser({ email: uniqueEmail('new'), emailVerified: new Date() }),
      'CREATE_DISABLED',
    );
    assert.equal(api.calls(), 0);
    assert.equal(api.users.size, before);
  });

  test('with autoCreateUser creates the partner user and returns the Auth.js user only', async () => {
    const adapter = adapterFor({ autoCreateUser: true });
    const email = uniqueEmail('linus');
    const emailVerified = new Date(Date.now() - 12_345);
    const user = await adapter.createUser({
      id: 'auth-js-generated-id',
      email,
      name: 'Linus',
      image: 'https://img.example/linus.png',
      emailVerified,
    });
    assert.deepEqual(Object.keys(user).sort(), USER_KEYS);
    assert.notEqual(user.id, 'auth-js-generated-id', 'the id is the partner user id');
    assert.ok(user.emailVerified instanceof Date);
    assert.equal(user.emailVerified.getTime(), emailVerified.getTime());
    assert.equal(user.email, email);
    assert.equal(user.name, 'Linus');
    assert.equal(user.image, 'https://img.example/linus.png');

    const stored = api.users.get(user.id);
    assert.ok(stored, 'the user exists in ChatBotKit');
    assert.equal(stored.email, email);
    assert.equal(stored.name, 'Linus');
    assert.equal(stored.image, 'https://img.example/linus.png');

    // What was created reads back the same.
    assert.deepEqual(await adapter.getUser(user.id), user);
    assert.deepEqual(await adapter.getUserByEmail(email), user);
  });

  test('emailVerified null stays null, also when read back', async () => {
    const adapter = adapterFor({ autoCreateUser: true });
    const user = await adapter.createUser({ email: uniqueEmail('oauth'), emailVerified: null });
    assert.equal(user.emailVerified, null);
    assert.equal(user.name, null);
    assert.equal(user.image, null);
    assert.equal((await adapter.getUser(user.id)).emailVerified, null);
  });

  test('a duplicate email is DUPLICATE_USER and creates nothing', async () => {
    const email = uniqueEmail('dup');
    api.addUser({ email });
    const adapter = adapterFor({ autoCreateUser: true });
    const before = api.users.size;
    api.resetRequests();
    await rejectsWith(
      adapter.createUser({ email: `  ${email.toUpperCase()} `, emailVerified: null }),
      'DUPLICATE_USER',
    );
    assert.equal(api.users.size, before);
    assert.equal(api.calls('create'), 0);
  });

  test('a missing email is MISSING_EMAIL and creates nothing', async () => {
    const adapter = adapterFor({ autoCreateUser: true });
    const before = api.users.size;
    api.resetRequests();
    for (const user of [
      { name: 'No Mail', emailVerified: null },
      { email: null, emailVerified: null },
      { email: '', emailVerified: null },
      { email: '   ', emailVerified: null },
    ]) {
      await rejectsWith(adapter.createUser(user), 'MISSING_EMAIL');
    }
    assert.equal(api.users.size, before);
    assert.equal(api.calls('create'), 0);
  });
});

describe('updateUser', () => {
  function seedFull(extra = {}) {
    return api.addUser({
      email: uniqueEmail('upd'),
      name: 'Original Name',
      image: 'https://img.example/original.png',
      meta: { emailVerified: 1_600_000_000_000 },
      ...extra,
    });
  }

  test('allowed by default, and the result is the whole updated user', async () => {
    const seeded = seedFull();
    const adapter = adapterFor();
    const user = await adapter.updateUser({ id: seeded.id, name: 'New Name' });
    assert.deepEqual(user, {
      id: seeded.id,
      email: seeded.email,
      emailVerified: new Date(1_600_000_000_000),
      name: 'New Name',
      image: 'https://img.example/original.png',
    });
    assert.equal(api.users.get(seeded.id).name, 'New Name');
    assert.deepEqual(await adapter.getUser(seeded.id), user);
  });

  test('with autoUpdateUser: false it is UPDATE_DISABLED and nothing changes', async () => {
    const seeded = seedFull();
    api.resetRequests();
    await rejectsWith(
      adapterFor({ autoUpdateUser: false }).updateUser({ id: seeded.id, name: 'Nope' }),
      'UPDATE_DISABLED',
    );
    assert.equal(api.calls('update'), 0);
    assert.equal(api.users.get(seeded.id).name, 'Original Name');
  });

  test('a partial update { id, emailVerified } keeps name and image', async () => {
    const seeded = seedFull();
    const adapter = adapterFor();
    const verified = new Date(Date.now() - 1000);
    const user = await adapter.updateUser({ id: seeded.id, emailVerified: verified });
    const expected = {
      id: seeded.id,
      email: seeded.email,
      emailVerified: verified,
      name: 'Original Name',
      image: 'https://img.example/original.png',
    };
    assert.deepEqual(user, expected);
    assert.deepEqual(await adapter.getUser(seeded.id), expected);
    const stored = api.users.get(seeded.id);
    assert.equal(stored.name, 'Original Name');
    assert.equal(stored.image, 'https://img.example/original.png');
    assert.equal(stored.email, seeded.email);
  });

  test('{ id, name: null } clears the name and keeps the image', async () => {
    const seeded = seedFull();
    const adapter = adapterFor();
    const user = await adapter.updateUser({ id: seeded.id, name: null });
    assert.equal(user.name, null);
    assert.equal(user.image, 'https://img.example/original.png');
    const read = await adapter.getUser(seeded.id);
    assert.equal(read.name, null);
    assert.equal(read.image, 'https://img.example/original.png');
  });

  test('keeps the other meta keys already on the partner user', async () => {
    const seeded = seedFull({ meta: { plan: 'pro', seats: 3 } });
    const adapter = adapterFor();
    const verified = new Date(1_710_000_000_000);
    await adapter.updateUser({ id: seeded.id, emailVerified: verified });
    let stored = api.users.get(seeded.id);
    assert.equal(stored.meta.plan, 'pro');
    assert.equal(stored.meta.seats, 3);
    assert.equal((await adapter.getUser(seeded.id)).emailVerified.getTime(), verified.getTime());

    await adapter.updateUser({ id: seeded.id, name: 'Renamed', image: null });
    stored = api.users.get(seeded.id);
    assert.equal(stored.meta.plan, 'pro');
    assert.equal(stored.meta.seats, 3);
    assert.equal(stored.name, 'Renamed');
    assert.equal((await adapter.getUser(seeded.id)).emailVerified.getTime(), verified.getTime());
  });

  test('an email change is stored and returned', async () => {
    const seeded = seedFull();
    const adapter = adapterFor();
    const email = uniqueEmail('moved');
    const user = await adapter.updateUser({ id: seeded.id, email });
    assert.equal(user.email, email);
    assert.equal(api.users.get(seeded.id).email, email);
    assert.equal((await adapter.getUserByEmail(email))?.id, seeded.id);
  });

  test('an unknown id is USER_NOT_FOUND and nothing is updated', async () => {
    api.resetRequests();
    await rejectsWith(
      adapterFor().updateUser({ id: 'usr_missing', name: 'Ghost' }),
      'USER_NOT_FOUND',
    );
    assert.equal(api.calls('update'), 0);
  });
});

describe('deleteUser', () => {
  test('refused with DELETE_DISABLED by default; the user stays', async () => {
    const seeded = api.addUser({ email: uniqueEmail('keep') });
    api.resetRequests();
    await rejectsWith(adapterFor().deleteUser(seeded.id), 'DELETE_DISABLED');
    assert.equal(api.calls('delete'), 0);
    assert.ok(api.users.has(seeded.id));
  });

  test('with autoDeleteUser deletes the partner user', async () => {
    const seeded = api.addUser({ email: uniqueEmail('gone') });
    const adapter = adapterFor({ autoDeleteUser: true });
    await adapter.deleteUser(seeded.id);
    assert.equal(api.users.has(seeded.id), false);
    assert.equal(await adapter.getUser(seeded.id), null);
    assert.equal(await adapter.getUserByEmail(seeded.email), null);
  });

  test('an unknown id is USER_NOT_FOUND', async () => {
    const before = api.users.size;
    await rejectsWith(
      adapterFor({ autoDeleteUser: true }).deleteUser('usr_never_was'),
      'USER_NOT_FOUND',
    );
    assert.equal(api.users.size, before);
  });
});
