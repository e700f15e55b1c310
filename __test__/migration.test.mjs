// Moving from @chatbotkit/nextauth: the original README's configurations run
// with only the package name changed (fixtures/original-readme/), and stores
// written against the original's Store / MemoryStore classes keep working,
// their own methods called.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Store, MemoryStore, ChatBotKitPartnerAdapter } from 'nextauth-chatbotkit/partner/adapter';
import { ChatBotKitContactAdapter } from 'nextauth-chatbotkit/contact/adapter';
import { useFakeApi } from './helpers/api.mjs';
import { ORIGIN, authClient, location, recordingLogger } from './helpers/auth.mjs';

const AUTH = {
  basePath: '/auth',
  secret: 'migration-test-auth-secret-0123456789',
  trustHost: true,
};

const api = useFakeApi();
let partnerReadme;
let contactReadme;

before(async () => {
  await api.ready;
  // What the README's configurations read from the environment.
  process.env.CHATBOTKIT_API_SECRET = api.secret;
  process.env.CHATBOTKIT_BASE_URL = api.url;
  partnerReadme = await import('./fixtures/original-readme/partner.mjs');
  contactReadme = await import('./fixtures/original-readme/contact.mjs');
});

after(async () => {
  delete process.env.CHATBOTKIT_API_SECRET;
  delete process.env.CHATBOTKIT_BASE_URL;
});

let serial = 0;
const newEmail = (tag) => `${tag}-${process.pid}-${++serial}@example.com`;

/**
 * The README's email sign-in: ask for a code (ends on its `/verify` page),
 * take the code from the mail `sendEmail` got, call back, read the session.
 */
async function signInByEmail(config, sent, email) {
  const log = recordingLogger();
  const browser = authClient({ ...config, ...AUTH, logger: log.logger });
  const ask = await browser.requestEmailCode(email);
  // @auth/core goes through its own verify-request route, which sends the
  // browser on to the README's `/verify` page.
  assert.equal(location(ask).pathname, '/auth/verify-request');
  const page = await browser.request(location(ask));
  assert.match(page.headers.get('location') ?? '', /^\/verify(\?|$)/);
  const mail = sent.at(-1);
  assert.equal(mail.to, email);
  assert.equal(mail.subject, 'Sign in to your account');
  const code = /Your verification code is: ([0-9a-f]{6})$/.exec(mail.text)?.[1];
  assert.ok(code, mail.text);
  const callback = await browser.emailCallback(email, code);
  assert.equal(location(callback).href, `${ORIGIN}/`, JSON.stringify(log.errors));
  assert.deepEqual(log.errors, []);
  return browser.session();
}

describe("the original README's configurations, package name changed", () => {
  test('Partner: an existing partner user signs in with a code (JWT sessions)', async () => {
    const user = api.addUser({ email: newEmail('partner'), name: 'Pat Partner' });
    const session = await signInByEmail(partnerReadme.default, partnerReadme.sent, user.email);
    assert.equal(session.user.id, user.id);
    assert.equal(session.user.email, user.email);
    assert.equal(session.user.name, 'Pat Partner');
  });

  test('Partner: autoCreateUser: false keeps strangers out', async () => {
    const browser = authClient({
      ...partnerReadme.default,
      ...AUTH,
      logger: recordingLogger().logger,
    });
    const email = newEmail('stranger');
    await browser.requestEmailCode(email);
    const code = partnerReadme.sent.at(-1).text.slice(-6);
    const callback = await browser.emailCallback(email, code);
    assert.notEqual(location(callback).href, `${ORIGIN}/`);
    assert.equal([...api.users.values()].filter((u) => u.email === email).length, 0);
  });

  test('Contact: a new person becomes a contact (autoCreateContact: true) and signs in', async () => {
    const email = newEmail('contact');
    const session = await signInByEmail(contactReadme.default, contactReadme.sent, email);
    const contact = [...api.contacts.values()].find((c) => c.email === email);
    assert.ok(contact, 'the contact exists');
    assert.equal(session.user.id, contact.id);
    assert.equal(session.user.email, email);
  });
});

/** A store written against the original's `Store`, exactly its signatures. */
class OriginalStyleStore extends Store {
  constructor() {
    super();
    this.store = new Map();
  }

  async get(key) {
    return this.store.get(key) || null;
  }

  async set(key, value) {
    this.store.set(key, value);
  }

  async del(key) {
    this.store.delete(key);
  }
}

/** A MemoryStore subclass that overrides get/set/del to watch them. */
class WatchedMemoryStore extends MemoryStore {
  calls = [];

  async get(key) {
    this.calls.push(`get ${key}`);
    return super.get(key);
  }

  async set(key, value, options) {
    this.calls.push(`set ${key}`);
    return super.set(key, value, options);
  }

  async del(key) {
    this.calls.push(`del ${key}`);
    return super.del(key);
  }
}

/** The README's partner configuration with another store. */
function partnerConfigWith(store) {
  return {
    ...partnerReadme.default,
    adapter: ChatBotKitPartnerAdapter({
      secret: process.env.CHATBOTKIT_API_SECRET,
      baseUrl: process.env.CHATBOTKIT_BASE_URL,
      store,
      autoCreateUser: false,
    }),
  };
}

describe('stores written for the original', () => {
  test('a Store subclass with the original signatures holds the codes', async () => {
    const store = new OriginalStyleStore();
    const user = api.addUser({ email: newEmail('store') });
    const browser = authClient({ ...partnerConfigWith(store), ...AUTH });
    await browser.requestEmailCode(user.email);
    const codes = [...store.store.keys()].filter((k) => k.startsWith('verification:'));
    assert.equal(codes.length, 1, [...store.store.keys()].join(', '));
    const code = partnerReadme.sent.at(-1).text.slice(-6);
    const callback = await browser.emailCallback(user.email, code);
    assert.equal(location(callback).href, `${ORIGIN}/`);
    assert.equal(store.store.has(codes[0]), false, 'the used code is gone');
    assert.equal((await browser.session()).user.id, user.id);
  });

  test("a MemoryStore subclass's own get/set/del are the ones called", async () => {
    const store = new WatchedMemoryStore();
    const user = api.addUser({ email: newEmail('watched') });
    const session = await signInByEmail(partnerConfigWith(store), partnerReadme.sent, user.email);
    assert.equal(session.user.id, user.id);
    const code = store.calls.find((c) => c.startsWith('set verification:'));
    assert.ok(code, `the code was written through set(): ${store.calls.join(', ')}`);
    const key = code.slice('set '.length);
    assert.ok(store.calls.includes(`get ${key}`), 'read through get()');
    assert.ok(store.calls.includes(`del ${key}`), 'deleted through del()');
  });

  test('the Contact adapter takes them too', async () => {
    const store = new WatchedMemoryStore();
    const adapter = ChatBotKitContactAdapter({ secret: api.secret, baseUrl: api.url, store });
    const token = {
      identifier: 'c@example.com',
      token: 't0k3n',
      expires: new Date(Date.now() + 60_000),
    };
    await adapter.createVerificationToken(token);
    assert.deepEqual(await adapter.useVerificationToken(token), token);
    assert.ok(
      store.calls.some((c) => c.startsWith('set verification:')),
      store.calls.join(', '),
    );
    assert.ok(
      store.calls.some((c) => c.startsWith('get verification:')),
      store.calls.join(', '),
    );
  });
});
