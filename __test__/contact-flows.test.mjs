// Sign-in through real @auth/core with the Contact adapter, on a MemoryStore
// and on a RedisStore: email codes and OAuth, with database sessions, against
// the fake ChatBotKit API's contacts. Each flow asserts the contact requests
// it makes, by operation, and what ChatBotKit holds afterwards.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ChatBotKitContactAdapter, ChatBotKitContactEmailProvider } from '../index.js';
import { useFakeApi } from './helpers/api.mjs';
import { startFakeOAuthProvider } from './helpers/oauth-provider.mjs';
import { ORIGIN, authClient, location, partnerOps, recordingLogger } from './helpers/auth.mjs';
import { startRedis } from './helpers/redis.mjs';
import { WITH_REDIS, storeKinds } from './helpers/stores.mjs';

const AUTH_SECRET = 'contact-flows-test-auth-secret-0123456789';

const api = useFakeApi();
let acme;
let redis = null;

before(async () => {
  acme = await startFakeOAuthProvider({ id: 'acme', name: 'Acme', type: 'oauth' });
  if (WITH_REDIS) redis = await startRedis();
});

after(async () => {
  await acme?.close();
  await redis?.close();
});

let serial = 0;
const newEmail = (tag) => `${tag}-${process.pid}-${++serial}@example.com`;
const contactByEmail = (email) => [...api.contacts.values()].find((c) => c.email === email);

// A MemoryStore and a RedisStore, from the one table of store kinds.
const KINDS = WITH_REDIS ? ['memory', 'redis'] : ['memory'];
if (!WITH_REDIS)
  test('contact flows on RedisStore', { skip: 'redis-server is not installed' }, () => {});

for (const storeName of KINDS) {
  describe(`Contact adapter sign-in on the ${storeName} store`, () => {
    async function app() {
      const { store } = await storeKinds(redis)[storeName]();
      const outbox = [];
      const log = recordingLogger();
      const config = {
        basePath: '/auth',
        secret: AUTH_SECRET,
        trustHost: true,
        adapter: ChatBotKitContactAdapter({
          secret: api.secret,
          baseUrl: api.url,
          store,
          autoCreateContact: true,
        }),
        logger: log.logger,
        session: { strategy: 'database' },
        callbacks: {
          session: ({ session, user }) => ({ ...session, user: { ...session.user, id: user.id } }),
        },
        providers: [
          ChatBotKitContactEmailProvider({
            async sendVerificationRequest({ identifier, token }) {
              outbox.push({ to: identifier, code: token });
            },
          }),
          acme.provider(),
        ],
      };
      return { store, outbox, log, client: () => authClient(config) };
    }

    test('email: a new person becomes a verified contact and is signed in', async () => {
      const a = await app();
      const browser = a.client();
      const email = newEmail('new');
      const before = Date.now();

      api.resetRequests();
      const ask = await browser.requestEmailCode(email);
      assert.equal(location(ask).pathname, '/auth/verify-request');
      assert.deepEqual(partnerOps(api), { contactList: 1 });
      const { code } = a.outbox.at(-1);
      assert.match(code, /^[0-9a-f]{6}$/);

      api.resetRequests();
      const callback = await browser.emailCallback(email, code);
      assert.equal(location(callback).href, `${ORIGIN}/`);
      assert.deepEqual(a.log.errors, []);
      // getUserByEmail ×2, then createUser: a look-up, one ensure and the
      // fetch that checks the contact ensure answered is this email's.
      assert.deepEqual(partnerOps(api), { contactList: 3, contactEnsure: 1, contactFetch: 1 });
      const contact = contactByEmail(email);
      assert.ok(contact, 'the contact exists');
      assert.ok(contact.verifiedAt >= before, 'verifiedAt is the sign-in time');
      assert.equal(contact.meta.email, email);

      api.resetRequests();
      const session = await browser.session();
      assert.equal(session.user.id, contact.id);
      assert.equal(session.user.email, email);
      assert.deepEqual(partnerOps(api), { contactFetch: 1 });
    });

    test('email: an existing contact is signed in and marked verified, not re-created', async () => {
      const a = await app();
      const browser = a.client();
      const existing = api.addContact({
        email: newEmail('old'),
        name: 'Old Timer',
        meta: { plan: 'pro' },
      });
      existing.meta.email = existing.email;
      const count = api.contacts.size;

      await browser.requestEmailCode(existing.email);
      api.resetRequests();
      const callback = await browser.emailCallback(existing.email, a.outbox.at(-1).code);
      assert.equal(location(callback).href, `${ORIGIN}/`);
      // getUserByEmail ×2, then updateUser({ id, emailVerified }): fetch + update.
      assert.deepEqual(partnerOps(api), { contactList: 2, contactFetch: 1, contactUpdate: 1 });
      assert.equal(api.contacts.size, count, 'no contact was created');
      const stored = api.contacts.get(existing.id);
      assert.equal(stored.name, 'Old Timer');
      assert.equal(stored.meta.plan, 'pro');
      assert.equal(typeof stored.verifiedAt, 'number');
      assert.equal((await browser.session()).user.id, existing.id);
    });

    test('a code works once', async () => {
      const a = await app();
      const email = newEmail('once');
      await a.client().requestEmailCode(email);
      const { code } = a.outbox.at(-1);
      const first = await a.client().emailCallback(email, code);
      assert.equal(location(first).href, `${ORIGIN}/`);
      const second = await a.client().emailCallback(email, code);
      assert.equal(location(second).searchParams.get('error'), 'Verification');
    });

    test('OAuth: the first sign-in creates the contact and links the account; the second reuses it', async () => {
      const a = await app();
      const who = {
        sub: `acme-${process.pid}-${++serial}`,
        email: newEmail('oauth'),
        name: 'Olive Auth',
        picture: 'https://example.com/olive.png',
      };
      acme.login(who);
      const count = api.contacts.size;

      api.resetRequests();
      const first = await a.client().signInOAuth('acme');
      assert.equal(location(first.callback).href, `${ORIGIN}/`);
      assert.deepEqual(a.log.errors, []);
      // getUserByEmail: list; createUser: list + ensure + fetch; linkAccount: fetch.
      assert.deepEqual(partnerOps(api), { contactList: 2, contactEnsure: 1, contactFetch: 2 });
      assert.equal(api.contacts.size, count + 1);
      const contact = contactByEmail(who.email);
      assert.equal(contact.name, who.name);
      assert.equal(contact.meta.image, who.picture);
      assert.equal(contact.verifiedAt, undefined, 'an OAuth sign-up is not email-verified');

      api.resetRequests();
      const browser = a.client();
      const again = await browser.signInOAuth('acme');
      assert.equal(location(again.callback).href, `${ORIGIN}/`);
      assert.deepEqual(partnerOps(api), { contactFetch: 2 });
      assert.equal(api.contacts.size, count + 1, 'no second contact');
      const session = await browser.session();
      assert.equal(session.user.id, contact.id);
      assert.equal(session.user.image, who.picture);
    });
  });
}
