// Every error code reachable from the public API, as an AdapterError with a
// stable `code`; and the partner secret never leaks into an error.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import util from 'node:util';
import { ChatBotKitPartnerAdapter, MemoryStore, AdapterError } from '../index.mjs';
import { partnerAdapter, useFakeApi } from './helpers/api.mjs';
import { freePort } from './helpers/net.mjs';
import { rejectsWith as rejectsWithCode } from './helpers/assert.mjs';

const SECRET = 'sk-partner-TOPSECRET-5f1d0c2a9b8e7d6c';
const WRONG_SECRET = 'sk-partner-WRONGSECRET-00aa11bb22cc';

const api = useFakeApi({ secret: SECRET });
/** Every error any test saw, checked for the secret at the end. */
const seen = [];

function options(extra = {}) {
  return { secret: SECRET, baseUrl: api.url, store: new MemoryStore(), retries: 0, ...extra };
}
const makeAdapter = (extra) => partnerAdapter(api, { retries: 0, ...extra });

function check(error, code) {
  seen.push(error);
  assert.ok(error instanceof AdapterError, `expected an AdapterError, got ${util.inspect(error)}`);
  assert.ok(error instanceof Error);
  assert.equal(error.name, 'AdapterError');
  assert.equal(error.code, code, error.message);
  assert.equal(typeof error.message, 'string');
  assert.ok(error.message.length > 0);
  return error;
}

/** The shared rejectsWith, plus this file's checks (and the secret check at the end). */
const rejectsWith = async (promise, code) => check(await rejectsWithCode(promise, code), code);

function throwsWith(fn, code) {
  let caught;
  assert.throws(fn, (e) => {
    caught = e;
    return true;
  });
  return check(caught, code);
}

describe('CONFIG', () => {
  test('no options, a secret of the wrong type: at construction', () => {
    throwsWith(() => ChatBotKitPartnerAdapter(), 'CONFIG');
    throwsWith(() => ChatBotKitPartnerAdapter(null), 'CONFIG');
    throwsWith(() => ChatBotKitPartnerAdapter(options({ secret: 12345 })), 'CONFIG');
  });

  test('no secret, an empty secret: at the first call (next build has no secrets)', async () => {
    for (const adapter of [
      ChatBotKitPartnerAdapter({ store: new MemoryStore() }),
      ChatBotKitPartnerAdapter(options({ secret: '' })),
      ChatBotKitPartnerAdapter(options({ secret: '   ' })),
    ]) {
      const error = await rejectsWith(adapter.getUser('usr_1'), 'CONFIG');
      assert.match(error.message, /CHATBOTKIT_API_SECRET/);
    }
  });

  test('no store', () => {
    throwsWith(() => ChatBotKitPartnerAdapter({ secret: SECRET, baseUrl: api.url }), 'CONFIG');
    throwsWith(() => ChatBotKitPartnerAdapter(options({ store: null })), 'CONFIG');
  });

  test('a bad timeout', () => {
    for (const timeout of [0, -1, 1e12, 'soon', {}]) {
      throwsWith(() => makeAdapter({ timeout }), 'CONFIG');
    }
    // The same with a JS store, which the timeout also bounds.
    const jsStore = { get: async () => null, set: async () => {}, del: async () => {} };
    throwsWith(() => makeAdapter({ timeout: -5, store: jsStore }), 'CONFIG');
  });

  test('bad retries and retryDelay', () => {
    for (const retries of [-1, 1.5, 11, 'three']) {
      throwsWith(() => makeAdapter({ retries }), 'CONFIG');
    }
    for (const retryDelay of [0, -10, 'fast']) {
      throwsWith(() => makeAdapter({ retryDelay }), 'CONFIG');
    }
  });

  test('NaN and Infinity are refused, not silently replaced by the default', () => {
    // `Number(process.env.UNSET)` is NaN: a deployment that thinks it set a
    // timeout must hear that it did not.
    for (const [name, value] of [
      ['timeout', NaN],
      ['timeout', Infinity],
      ['retries', NaN],
      ['retries', Infinity],
      ['retryDelay', NaN],
    ]) {
      let caught;
      try {
        makeAdapter({ [name]: value });
      } catch (e) {
        caught = e;
      }
      assert.ok(caught, `${name}: ${value} was accepted`);
      check(caught, 'CONFIG');
    }
  });

  test('a bad baseUrl', () => {
    for (const baseUrl of ['not a url', 'ftp://api.chatbotkit.com', 'file:///etc/passwd', '']) {
      throwsWith(() => makeAdapter({ baseUrl }), 'CONFIG');
    }
  });

  test('a secret with a trailing newline is trimmed: the calls work', async () => {
    // A secret read from a file often ends with "\n". A header cannot carry
    // it: the adapter trims it rather than let every call fail as if the
    // network were down.
    const adapter = makeAdapter({ secret: `${SECRET}\n` });
    const seeded = api.addUser({ email: `newline.${Date.now()}@example.com` });
    try {
      const user = await adapter.getUser(seeded.id);
      assert.equal(user?.id, seeded.id);
    } catch (e) {
      seen.push(e);
      assert.fail(`the first call failed with ${e.code}: ${e.message}`);
    }
  });
});

describe('INVALID_INPUT', () => {
  test('arguments of the wrong type', async () => {
    const adapter = makeAdapter();
    await rejectsWith(adapter.getUser(42), 'INVALID_INPUT');
    await rejectsWith(adapter.getUser({ id: 'x' }), 'INVALID_INPUT');
    await rejectsWith(adapter.getUserByEmail(null), 'INVALID_INPUT');
    await rejectsWith(adapter.createVerificationToken({}), 'INVALID_INPUT');
    await rejectsWith(adapter.createVerificationToken(null), 'INVALID_INPUT');
    await rejectsWith(
      adapter.createVerificationToken({ identifier: 'a@b.co', token: 't', expires: 'tomorrow' }),
      'INVALID_INPUT',
    );
    await rejectsWith(
      adapter.createVerificationToken({
        identifier: 'a@b.co',
        token: 't',
        expires: new Date(NaN),
      }),
      'INVALID_INPUT',
    );
    await rejectsWith(adapter.useVerificationToken({ identifier: 'a@b.co' }), 'INVALID_INPUT');
    await rejectsWith(adapter.createSession({ sessionToken: 's' }), 'INVALID_INPUT');
    await rejectsWith(adapter.updateUser({ name: 'no id' }), 'INVALID_INPUT');
  });

  test('BigInt arguments', async () => {
    const adapter = makeAdapter();
    await rejectsWith(adapter.getUser(42n), 'INVALID_INPUT');
    await rejectsWith(
      adapter.createVerificationToken({
        identifier: 'a@b.co',
        token: 't',
        expires: new Date(Date.now() + 60_000),
        extra: 1n,
      }),
      'INVALID_INPUT',
    );
  });

  test('a cyclic argument', async () => {
    const account = { userId: 'u', type: 'oauth', provider: 'p', providerAccountId: '1' };
    account.self = account;
    await rejectsWith(makeAdapter().linkAccount(account), 'INVALID_INPUT');
  });
});

describe('lifecycle refusals and user errors', () => {
  test('CREATE_DISABLED', async () => {
    await rejectsWith(
      makeAdapter().createUser({ email: 'c@example.com', emailVerified: null }),
      'CREATE_DISABLED',
    );
  });

  test('UPDATE_DISABLED', async () => {
    const seeded = api.addUser({ email: `u.${Date.now()}@example.com` });
    await rejectsWith(
      makeAdapter({ autoUpdateUser: false }).updateUser({ id: seeded.id, name: 'x' }),
      'UPDATE_DISABLED',
    );
  });

  test('DELETE_DISABLED', async () => {
    const seeded = api.addUser({ email: `d.${Date.now()}@example.com` });
    await rejectsWith(makeAdapter().deleteUser(seeded.id), 'DELETE_DISABLED');
  });

  test('DUPLICATE_USER', async () => {
    const email = `dup.${Date.now()}@example.com`;
    api.addUser({ email });
    await rejectsWith(
      makeAdapter({ autoCreateUser: true }).createUser({ email, emailVerified: null }),
      'DUPLICATE_USER',
    );
  });

  test('USER_NOT_FOUND', async () => {
    await rejectsWith(makeAdapter().updateUser({ id: 'usr_nope', name: 'x' }), 'USER_NOT_FOUND');
    await rejectsWith(
      makeAdapter({ autoDeleteUser: true }).deleteUser('usr_nope'),
      'USER_NOT_FOUND',
    );
  });

  test('MISSING_EMAIL', async () => {
    const seeded = api.addUser({ name: 'no email' });
    await rejectsWith(makeAdapter().getUser(seeded.id), 'MISSING_EMAIL');
    await rejectsWith(
      makeAdapter({ autoCreateUser: true }).createUser({ name: 'x', emailVerified: null }),
      'MISSING_EMAIL',
    );
  });

  test('NOT_FOUND: the counter of an unknown authenticator', async () => {
    await rejectsWith(makeAdapter().updateAuthenticatorCounter('no-such-cred', 1), 'NOT_FOUND');
  });
});

describe('STORE', () => {
  test('STORE: a store that fails', async () => {
    const store = {
      get: async () => {
        throw new Error('connection lost');
      },
      set: async () => {
        throw new Error('connection lost');
      },
      del: async () => {},
    };
    const adapter = makeAdapter({ store });
    await rejectsWith(adapter.getSessionAndUser('tok'), 'STORE');
    await rejectsWith(
      adapter.createVerificationToken({
        identifier: 'a@b.co',
        token: 't',
        expires: new Date(Date.now() + 60_000),
      }),
      'STORE',
    );
  });
});

test('the partner secret never appears in an error', async () => {
  // One error of each kind raised right here, so this test stands on its
  // own; run after the others it also checks every error they saw.
  const port = await freePort();
  const failingStore = {
    get: async () => Promise.reject(new Error('connection lost')),
    set() {},
    del() {},
  };
  const tries = [
    () => makeAdapter({ baseUrl: `http://127.0.0.1:${port}` }).getUser('x'),
    () => makeAdapter({ secret: WRONG_SECRET }).getUserByEmail('a@example.com'),
    () => makeAdapter({ baseUrl: 'nope' }),
    () => makeAdapter({ timeout: -1 }),
    () => makeAdapter({ store: {} }),
    () => makeAdapter({ timeout: 300 }).getUser('hung'),
    () => makeAdapter().getUser('unavailable'),
    () => makeAdapter().getUser({ not: 'an id' }),
    () => makeAdapter().deleteUser('usr_x'),
    () => makeAdapter({ store: failingStore }).getSessionAndUser('tok'),
  ];
  api.fail({ op: 'fetch', mode: 'hang' });
  api.fail({ op: 'fetch', status: 503 });
  const own = [];
  for (const attempt of tries) {
    try {
      await attempt();
    } catch (e) {
      own.push(e);
    }
  }
  api.clearFaults();
  assert.deepEqual(
    own.map((e) => e.code),
    [
      'NETWORK',
      'PARTNER_API',
      'CONFIG',
      'CONFIG',
      'CONFIG',
      'TIMEOUT',
      'PARTNER_API',
      'INVALID_INPUT',
      'DELETE_DISABLED',
      'STORE',
    ],
  );
  for (const error of [...own, ...seen]) {
    const texts = [
      String(error.message),
      String(error.stack),
      util.inspect(error, { depth: 5, showHidden: true }),
      JSON.stringify(error),
    ];
    for (const text of texts) {
      assert.ok(!text.includes(SECRET), `the secret leaked: ${text}`);
      assert.ok(!text.includes(WRONG_SECRET), `the wrong secret leaked: ${text}`);
      assert.ok(!text.includes('TOPSECRET'), `part of the secret leaked: ${text}`);
    }
  }
});
