// End-to-end sign-in flows through real @auth/core (`Auth()` with `Request`
// objects and a cookie jar) with this adapter on a MemoryStore, the fake
// ChatBotKit Partner API, and local fake OAuth 2 / OIDC providers.
//
// Every flow asserts the exact Partner API requests it makes, by operation,
// so that a change that adds (or removes) calls is noticed.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ChatBotKitPartnerAdapter, ChatBotKitEmailProvider, MemoryStore } from '../index.js';
import { useFakeApi } from './helpers/api.mjs';
import { startFakeOAuthProvider } from './helpers/oauth-provider.mjs';
import {
  ORIGIN,
  authClient,
  location,
  partnerOps,
  recordingLogger,
  spyAdapter,
} from './helpers/auth.mjs';

const AUTH_SECRET = 'flows-test-auth-secret-0123456789abcdef';

const api = useFakeApi(); // fake ChatBotKit Partner API
let acme; // fake plain OAuth 2 provider (explicit endpoints, PKCE + state)
let globex; // fake OpenID Connect provider (discovery, PKCE + state + nonce)

before(async () => {
  acme = await startFakeOAuthProvider({ id: 'acme', name: 'Acme', type: 'oauth' });
  globex = await startFakeOAuthProvider({ id: 'globex', name: 'Globex', type: 'oidc' });
});

after(async () => {
  await acme?.close();
  await globex?.close();
});

let serial = 0;
const newEmail = (tag) => `${tag}-${process.pid}-${++serial}@example.com`;

/**
 * One app: an adapter on `store` (a fresh MemoryStore by default), the email
 * provider with an outbox, and the fake OAuth providers.
 */
function app({
  store = new MemoryStore(),
  autoCreateUser = true,
  strategy = 'database',
  updateAge,
  providers,
} = {}) {
  const spy = spyAdapter(
    ChatBotKitPartnerAdapter({ secret: api.secret, baseUrl: api.url, store, autoCreateUser }),
  );
  const outbox = [];
  const log = recordingLogger();
  const config = {
    basePath: '/auth',
    secret: AUTH_SECRET,
    trustHost: true,
    adapter: spy.adapter,
    logger: log.logger,
    session: { strategy, ...(updateAge !== undefined ? { updateAge } : {}) },
    callbacks: { session: exposeUserId },
    providers: providers ?? [
      ChatBotKitEmailProvider({
        async sendVerificationRequest({ identifier, token, url }) {
          outbox.push({ to: identifier, code: token, url });
        },
      }),
      acme.provider(),
      globex.provider(),
    ],
  };
  return { store, spy, outbox, log, config, client: () => authClient(config) };
}

/**
 * Auth.js's default session callback exposes only name, email and image; the
 * tests also want the user id (the ChatBotKit partner user id).
 */
function exposeUserId({ session, user, token }) {
  const expires = session.expires instanceof Date ? session.expires.toISOString() : session.expires;
  return {
    expires,
    user: {
      id: user?.id ?? token?.sub,
      email: session.user?.email,
      name: session.user?.name ?? null,
      image: session.user?.image ?? null,
    },
  };
}

/** Starts counting Partner API requests (and OAuth provider requests) afresh. */
function resetCounts(...apps) {
  api.resetRequests();
  acme.resetRequests();
  globex.resetRequests();
  for (const a of apps) {
    a.spy.reset();
    a.log.clear();
  }
}

/** Email sign-in end to end; returns the callback response. */
async function emailSignIn(a, browser, email) {
  const ask = await browser.requestEmailCode(email);
  assert.equal(ask.status, 302);
  assert.equal(location(ask).pathname, '/auth/verify-request');
  const mail = a.outbox.at(-1);
  assert.equal(mail?.to, email);
  assert.match(mail.code, /^[0-9a-f]{6}$/);
  return browser.emailCallback(email, mail.code);
}

/** Epoch ms of a date as a store holds it (tagged `{ $date: ms }`). */
const storedMs = (value) =>
  typeof value === 'object' && value !== null ? value.$date : Date.parse(value);

/** Codes of the AdapterErrors Auth.js logged (it logs each one twice: once wrapped, once at the top). */
const adapterErrorCodes = (log) =>
  [...new Set(log.errors)].map((e) => e?.cause?.err?.code).filter((code) => code !== undefined);

// --- email ------------------------------------------------------------------

describe('email sign-in', () => {
  test('a new user (autoCreateUser: true) is created in ChatBotKit and signed in', async () => {
    const a = app();
    const browser = a.client();
    const email = newEmail('new');
    const usersBefore = api.users.size;

    resetCounts(a);
    const ask = await browser.requestEmailCode(email);
    assert.equal(ask.status, 302);
    assert.equal(location(ask).pathname, '/auth/verify-request');
    assert.deepEqual(partnerOps(api), { list: 1 }); // getUserByEmail
    assert.deepEqual(a.spy.calls, ['getUserByEmail', 'createVerificationToken']);
    const { code } = a.outbox.at(-1);

    resetCounts(a);
    const callback = await browser.emailCallback(email, code);
    assert.equal(callback.status, 302);
    assert.equal(location(callback).href, `${ORIGIN}/`);
    // getUserByEmail (callback), getUserByEmail (login), createUser: list + create.
    assert.deepEqual(partnerOps(api), { list: 3, create: 1 });
    assert.deepEqual(a.spy.calls, [
      'useVerificationToken',
      'getUserByEmail',
      'getUserByEmail',
      'createUser',
      'createSession',
    ]);
    assert.deepEqual(a.log.errors, []);

    assert.equal(api.users.size, usersBefore + 1);
    const created = [...api.users.values()].find((u) => u.email === email);
    assert.ok(created, 'the partner user exists');
    assert.equal(typeof created.meta?.emailVerified, 'number', 'emailVerified kept in meta');

    const token = browser.sessionToken();
    assert.ok(token, 'the database session cookie is set');
    const stored = await a.store.get(`session:${token}`);
    assert.equal(stored.userId, created.id);

    resetCounts(a);
    const session = await browser.session();
    assert.equal(session.user.email, email);
    assert.equal(session.user.id, created.id);
    assert.ok(Date.parse(session.expires) > Date.now());
    assert.deepEqual(partnerOps(api), { fetch: 1 }); // getSessionAndUser
  });

  test('an existing ChatBotKit user is signed in and marked verified, not re-created', async () => {
    const a = app();
    const browser = a.client();
    const existing = api.addUser({
      email: newEmail('old'),
      name: 'Old Timer',
      createdAt: 1_600_000_000_000,
    });
    const usersBefore = api.users.size;

    resetCounts(a);
    await browser.requestEmailCode(existing.email);
    assert.deepEqual(partnerOps(api), { list: 1 });

    resetCounts(a);
    const before = Date.now();
    const callback = await browser.emailCallback(existing.email, a.outbox.at(-1).code);
    assert.equal(location(callback).href, `${ORIGIN}/`);
    // getUserByEmail ×2, then updateUser({ id, emailVerified }): fetch + update.
    assert.deepEqual(partnerOps(api), { list: 2, fetch: 1, update: 1 });
    assert.deepEqual(a.spy.calls, [
      'useVerificationToken',
      'getUserByEmail',
      'getUserByEmail',
      'updateUser',
      'createSession',
    ]);
    assert.equal(api.users.size, usersBefore, 'no user was created');
    const user = api.users.get(existing.id);
    assert.equal(user.name, 'Old Timer', 'the name is kept');
    assert.ok(user.meta.emailVerified >= before, 'emailVerified set to the sign-in time');

    resetCounts(a);
    const session = await browser.session();
    assert.equal(session.user.id, existing.id);
    assert.equal(session.user.name, 'Old Timer');
    assert.deepEqual(partnerOps(api), { fetch: 1 });
  });

  test('a code works once: the second use ends on ?error=Verification', async () => {
    const a = app();
    const email = newEmail('once');
    const first = a.client();
    assert.equal(location(await emailSignIn(a, first, email)).href, `${ORIGIN}/`);
    const { code } = a.outbox.at(-1);

    resetCounts(a);
    const again = await a.client().emailCallback(email, code);
    const url = location(again);
    assert.equal(url.pathname, '/auth/error');
    assert.equal(url.searchParams.get('error'), 'Verification');
    assert.deepEqual(partnerOps(api), {}); // refused before any user lookup
  });

  test('a wrong code ends on ?error=Verification and leaves the right one usable', async () => {
    const a = app();
    const browser = a.client();
    const email = newEmail('wrong');
    await browser.requestEmailCode(email);
    const { code } = a.outbox.at(-1);
    const wrong = code === '000000' ? '000001' : '000000';

    const bad = await browser.emailCallback(email, wrong);
    assert.equal(location(bad).searchParams.get('error'), 'Verification');
    const good = await browser.emailCallback(email, code);
    assert.equal(location(good).href, `${ORIGIN}/`);
  });

  test('autoCreateUser: false on a new email ends on the error page, without a crash', async () => {
    const a = app({ autoCreateUser: false });
    const browser = a.client();
    const email = newEmail('refused');
    const usersBefore = api.users.size;

    resetCounts(a);
    const ask = await browser.requestEmailCode(email);
    assert.equal(location(ask).pathname, '/auth/verify-request');
    assert.deepEqual(partnerOps(api), { list: 1 });

    resetCounts(a);
    const callback = await browser.emailCallback(email, a.outbox.at(-1).code);
    assert.equal(callback.status, 302);
    const url = location(callback);
    assert.equal(url.pathname, '/auth/error');
    assert.equal(url.searchParams.get('error'), 'Configuration');
    // createUser refuses before calling ChatBotKit.
    assert.deepEqual(partnerOps(api), { list: 2 });
    assert.deepEqual(adapterErrorCodes(a.log), ['CREATE_DISABLED']);
    assert.equal(api.users.size, usersBefore, 'no user was created');
    assert.equal(browser.sessionToken(), undefined, 'no session cookie');

    // The app keeps serving.
    assert.deepEqual(await browser.session(), null);
    const csrf = await browser.csrf();
    assert.equal(typeof csrf, 'string');
  });

  test('JWT strategy: the session read makes no adapter or Partner API call', async () => {
    const a = app({ strategy: 'jwt' });
    const browser = a.client();
    const email = newEmail('jwt');
    resetCounts(a);
    assert.equal(location(await emailSignIn(a, browser, email)).href, `${ORIGIN}/`);
    assert.ok(!a.spy.calls.includes('createSession'), 'no database session with JWT sessions');
    assert.equal(browser.sessionToken()?.split('.').length, 5, 'the session cookie is a JWE');

    resetCounts(a);
    const session = await browser.session();
    assert.equal(session.user.email, email);
    assert.deepEqual(a.spy.calls, []);
    assert.deepEqual(partnerOps(api), {});
  });
});

// --- OAuth ------------------------------------------------------------------

describe('OAuth sign-in', () => {
  let profileSerial = 0;
  const profile = (tag, email = newEmail(tag)) => ({
    sub: `${tag}-${process.pid}-${++profileSerial}`,
    email,
    name: `User ${tag}`,
    picture: `https://example.com/${tag}.png`,
  });

  test('first sign-in creates the ChatBotKit user and links the account; the second reuses it', async () => {
    const a = app();
    const who = profile('acme');
    acme.login(who);
    const usersBefore = api.users.size;

    resetCounts(a);
    const first = await a.client().signInOAuth('acme');
    assert.equal(first.authorizeUrl.origin, acme.url);
    assert.equal(first.authorizeUrl.searchParams.get('code_challenge_method'), 'S256');
    assert.ok(first.authorizeUrl.searchParams.get('state'));
    assert.equal(first.callback.status, 302);
    assert.equal(location(first.callback).href, `${ORIGIN}/`);
    assert.deepEqual(a.log.errors, []);
    // getUserByEmail: list; createUser: list + create; linkAccount: fetch (the user exists?).
    assert.deepEqual(partnerOps(api), { list: 2, create: 1, fetch: 1 });
    assert.deepEqual(a.spy.calls, [
      'getUserByAccount',
      'getUserByAccount',
      'getUserByEmail',
      'createUser',
      'linkAccount',
      'createSession',
    ]);
    assert.equal(acme.calls('GET /authorize'), 1);
    assert.equal(acme.calls('POST /token'), 1);
    assert.equal(acme.calls('GET /userinfo'), 1);

    assert.equal(api.users.size, usersBefore + 1);
    const user = [...api.users.values()].find((u) => u.email === who.email);
    assert.equal(user.name, who.name);
    assert.equal(user.image, who.picture);
    assert.equal(user.meta.emailVerified, null, 'an OAuth sign-up is not email-verified');

    const issued = acme.issued.at(-1);
    const account = await a.spy.adapter.getAccount(who.sub, 'acme');
    assert.equal(account.userId, user.id);
    assert.equal(account.type, 'oauth');
    assert.equal(account.provider, 'acme');
    assert.equal(account.providerAccountId, who.sub);
    assert.equal(account.access_token, issued.access_token);
    assert.equal(account.refresh_token, issued.refresh_token);
    assert.equal(account.id_token, issued.id_token);
    assert.equal(account.token_type, 'bearer');
    assert.equal(account.scope, issued.scope);
    assert.equal(typeof account.expires_at, 'number');
    assert.ok(Math.abs(account.expires_at - (Date.now() / 1000 + 3600)) < 60);
    assert.deepEqual(await a.store.get(`account:acme:${who.sub}`), account);

    // A second sign-in (another browser) reuses the user and the account.
    resetCounts(a);
    const second = a.client();
    const again = await second.signInOAuth('acme');
    assert.equal(location(again.callback).href, `${ORIGIN}/`);
    // getUserByAccount ×2, each reading the linked user: fetch ×2.
    assert.deepEqual(partnerOps(api), { fetch: 2 });
    assert.deepEqual(a.spy.calls, ['getUserByAccount', 'getUserByAccount', 'createSession']);
    assert.equal(api.users.size, usersBefore + 1, 'no second user');
    const session = await second.session();
    assert.equal(session.user.id, user.id);
    assert.equal(session.user.email, who.email);
  });

  test('a second provider with the same email is refused: ?error=OAuthAccountNotLinked', async () => {
    const a = app();
    const email = newEmail('shared');
    acme.login(profile('acme', email));
    await a.client().signInOAuth('acme');
    const usersBefore = api.users.size;

    const other = profile('globex', email);
    globex.login(other);
    resetCounts(a);
    const browser = a.client();
    const { callback } = await browser.signInOAuth('globex');
    assert.equal(callback.status, 302);
    const url = location(callback);
    // OAuthAccountNotLinked is a sign-in error: Auth.js shows it on its sign-in page.
    assert.equal(url.pathname, '/auth/signin');
    assert.equal(url.searchParams.get('error'), 'OAuthAccountNotLinked');
    assert.deepEqual(partnerOps(api), { list: 1 }); // getUserByEmail
    assert.deepEqual(a.spy.calls, ['getUserByAccount', 'getUserByAccount', 'getUserByEmail']);
    assert.equal(globex.calls('POST /token'), 1);
    assert.equal(globex.calls('GET /userinfo'), 0, 'OIDC: the profile comes from the id_token');

    assert.equal(await a.spy.adapter.getAccount(other.sub, 'globex'), null);
    assert.equal(api.users.size, usersBefore);
    assert.equal(browser.sessionToken(), undefined);
  });

  test('with allowDangerousEmailAccountLinking the second provider links to the same user', async () => {
    const store = new MemoryStore();
    const email = newEmail('linked');
    const first = app({ store });
    acme.login(profile('acme', email));
    await first.client().signInOAuth('acme');
    const user = [...api.users.values()].find((u) => u.email === email);
    const usersBefore = api.users.size;

    const lenient = app({
      store,
      providers: [globex.provider({ allowDangerousEmailAccountLinking: true })],
    });
    const other = profile('globex', email);
    globex.login(other);
    resetCounts(lenient);
    const browser = lenient.client();
    const { callback } = await browser.signInOAuth('globex');
    assert.equal(location(callback).href, `${ORIGIN}/`);
    assert.deepEqual(lenient.log.errors, []);
    // getUserByEmail: list; linkAccount: fetch.
    assert.deepEqual(partnerOps(api), { list: 1, fetch: 1 });
    assert.deepEqual(lenient.spy.calls, [
      'getUserByAccount',
      'getUserByAccount',
      'getUserByEmail',
      'linkAccount',
      'createSession',
    ]);
    assert.equal(api.users.size, usersBefore, 'no new user');

    const account = await lenient.spy.adapter.getAccount(other.sub, 'globex');
    assert.equal(account.userId, user.id);
    assert.equal(account.type, 'oidc');
    assert.equal(account.id_token, globex.issued.at(-1).id_token);
    assert.equal(
      (
        await lenient.spy.adapter.getUserByAccount({
          provider: 'globex',
          providerAccountId: other.sub,
        })
      ).id,
      user.id,
    );
    assert.equal((await browser.session()).user.id, user.id);
  });

  test('a signed-in user who signs in with another provider gets it linked', async () => {
    const a = app();
    const browser = a.client();
    const email = newEmail('signedin');
    await emailSignIn(a, browser, email);
    const user = [...api.users.values()].find((u) => u.email === email);

    // A provider account under another email: linked because the user is signed in.
    const other = profile('globex');
    globex.login(other);
    resetCounts(a);
    const { callback } = await browser.signInOAuth('globex');
    assert.equal(location(callback).href, `${ORIGIN}/`);
    // getSessionAndUser: fetch; linkAccount: fetch.
    assert.deepEqual(partnerOps(api), { fetch: 2 });
    assert.deepEqual(a.spy.calls, [
      'getUserByAccount',
      'getSessionAndUser',
      'getUserByAccount',
      'linkAccount',
    ]);
    assert.equal((await a.spy.adapter.getAccount(other.sub, 'globex')).userId, user.id);
  });

  test('the user declines at the provider: ?error=OAuthCallbackError, no adapter call', async () => {
    const a = app();
    acme.login(null);
    resetCounts(a);
    const { callback } = await a.client().signInOAuth('acme');
    const url = location(callback);
    assert.equal(url.pathname, '/auth/signin');
    assert.equal(url.searchParams.get('error'), 'OAuthCallbackError');
    assert.deepEqual(a.spy.calls, []);
    assert.deepEqual(partnerOps(api), {});
    assert.equal(acme.calls('POST /token'), 0);
  });

  test('a new user through OAuth with autoCreateUser: false ends on the error page', async () => {
    const a = app({ autoCreateUser: false });
    const who = profile('nocreate');
    acme.login(who);
    const usersBefore = api.users.size;
    resetCounts(a);
    const { callback } = await a.client().signInOAuth('acme');
    const url = location(callback);
    assert.equal(url.pathname, '/auth/error');
    assert.equal(url.searchParams.get('error'), 'Configuration');
    assert.deepEqual(partnerOps(api), { list: 1 }); // getUserByEmail, then createUser refuses
    assert.deepEqual(adapterErrorCodes(a.log), ['CREATE_DISABLED']);
    assert.equal(api.users.size, usersBefore);
    assert.equal(await a.spy.adapter.getAccount(who.sub, 'acme'), null);
  });
});

// --- database sessions ---------------------------------------------------------

describe('database session strategy', () => {
  test('session read, update and sign-out go through the adapter and the store', async () => {
    const a = app({ updateAge: 0 }); // every read is due for an update
    const browser = a.client();
    const email = newEmail('session');
    await emailSignIn(a, browser, email);
    const token = browser.sessionToken();
    const key = `session:${token}`;
    const created = await a.store.get(key);
    assert.ok(created, 'the session is in the store');
    const user = [...api.users.values()].find((u) => u.email === email);

    // GET /session: getSessionAndUser, then updateSession (updateAge 0).
    await new Promise((r) => setTimeout(r, 20));
    resetCounts(a);
    const session = await browser.session();
    assert.equal(session.user.id, user.id);
    assert.equal(session.user.email, email);
    assert.deepEqual(a.spy.calls, ['getSessionAndUser', 'updateSession']);
    assert.deepEqual(partnerOps(api), { fetch: 1 });
    const updated = await a.store.get(key);
    assert.ok(storedMs(updated.expires) > storedMs(created.expires), 'expires moved forward');

    // POST /session (the client's update()) takes the same path.
    resetCounts(a);
    const response = await browser.updateSession({ name: 'ignored by the database strategy' });
    assert.equal(response.status, 200);
    assert.equal((await response.json()).user.id, user.id);
    assert.deepEqual(a.spy.calls, ['getSessionAndUser', 'updateSession']);
    assert.deepEqual(partnerOps(api), { fetch: 1 });

    // Sign-out deletes the session from the store.
    resetCounts(a);
    const out = await browser.signOut();
    assert.equal(out.status, 302);
    assert.deepEqual(a.spy.calls, ['deleteSession']);
    assert.deepEqual(partnerOps(api), {});
    assert.equal(await a.store.get(key), null);
    assert.equal(browser.sessionToken(), undefined, 'the cookie is cleared');
    assert.equal(await a.spy.adapter.getSessionAndUser(token), null);

    // A stale cookie no longer signs anyone in.
    resetCounts(a);
    const stale = authClient(a.config);
    stale.jar.set('authjs.session-token', token);
    assert.equal(await stale.session(), null);
    assert.deepEqual(a.spy.calls, ['getSessionAndUser']);
    assert.deepEqual(partnerOps(api), {});
  });

  test('without updateAge passing, a session read does not write', async () => {
    const a = app(); // default updateAge: 24 h
    const browser = a.client();
    await emailSignIn(a, browser, newEmail('noupdate'));
    resetCounts(a);
    assert.ok((await browser.session()).user);
    assert.deepEqual(a.spy.calls, ['getSessionAndUser']);
    assert.deepEqual(partnerOps(api), { fetch: 1 });
  });

  test('a session whose ChatBotKit user was deleted is signed out', async () => {
    const a = app();
    const browser = a.client();
    const email = newEmail('gone');
    await emailSignIn(a, browser, email);
    const token = browser.sessionToken();
    const user = [...api.users.values()].find((u) => u.email === email);
    api.users.delete(user.id);

    resetCounts(a);
    assert.equal(await browser.session(), null);
    assert.deepEqual(partnerOps(api), { fetch: 1 });
    assert.equal(browser.sessionToken(), undefined, 'the cookie is cleared');
    assert.equal(await a.store.get(`session:${token}`), null);
  });
});
