// Reliability of the Partner API client as the adapter's users see it: what
// a flaky, slow, broken or hostile ChatBotKit does to a sign-in. Retries
// where retrying is safe, a deadline that holds, a clear error code and
// message when it cannot succeed, and never a duplicate partner user when
// a create's answer was lost.
import { describe, test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import util from 'node:util';
import { AdapterError } from '../index.mjs';
import { partnerAdapter, useFakeApi } from './helpers/api.mjs';
import { freePort } from './helpers/net.mjs';
import { rejectsWith } from './helpers/assert.mjs';

const api = useFakeApi({}, { reset: true });
let ada;

beforeEach(() => {
  ada = api.addUser({ email: 'ada@example.com', name: 'Ada' });
});

/** An adapter on the fake with fast retries; `extra` overrides. */
const makeAdapter = (extra = {}) => partnerAdapter(api, { retryDelay: 20, ...extra });

async function timed(promise) {
  const started = performance.now();
  try {
    return { value: await promise, ms: performance.now() - started };
  } catch (error) {
    return { error, ms: performance.now() - started };
  }
}

const partnerUsersWithEmail = (email) =>
  [...api.users.values()].filter((u) => u.email?.trim().toLowerCase() === email.toLowerCase());

describe('retries', () => {
  test('503 twice, then 200: the read succeeds after 3 requests', async () => {
    const adapter = makeAdapter();
    api.fail({ op: 'fetch', status: 503, times: 2 });
    const user = await adapter.getUser(ada.id);
    assert.equal(user?.id, ada.id);
    assert.equal(user.email, 'ada@example.com');
    assert.equal(api.calls('fetch'), 3);
    assert.deepEqual(
      api.requests.map((r) => r.status),
      [503, 503, 200],
    );
  });

  test('the same for an email lookup (list)', async () => {
    const adapter = makeAdapter();
    api.fail({ op: 'list', status: 503, times: 2 });
    const user = await adapter.getUserByEmail('ada@example.com');
    assert.equal(user?.id, ada.id);
    assert.equal(api.calls('list'), 3);
  });

  test('502 and 504 on a read are retried too', async () => {
    const adapter = makeAdapter();
    api.fail({ op: 'fetch', status: 502 });
    api.fail({ op: 'fetch', status: 504 });
    assert.equal((await adapter.getUser(ada.id))?.id, ada.id);
    assert.equal(api.calls('fetch'), 3);
  });

  test('429 with retry-after: 1 waits about a second, then succeeds', async () => {
    // retryDelay is 20 ms, so a wait of ~1 s can only come from Retry-After.
    const adapter = makeAdapter();
    api.fail({ op: 'fetch', status: 429, headers: { 'retry-after': '1' } });
    const { value, error, ms } = await timed(adapter.getUser(ada.id));
    assert.equal(error, undefined);
    assert.equal(value?.id, ada.id);
    assert.ok(ms >= 900, `answered after ${ms.toFixed(0)} ms, before Retry-After`);
    assert.ok(ms < 3000, `answered after ${ms.toFixed(0)} ms`);
    assert.equal(api.calls('fetch'), 2);
  });

  test('a Retry-After beyond the deadline fails at once with the 429 instead of waiting', async () => {
    const adapter = makeAdapter({ timeout: 2000 });
    api.fail({ op: 'fetch', status: 429, headers: { 'retry-after': '30' } });
    const { error, ms } = await timed(adapter.getUser(ada.id));
    assert.ok(error instanceof AdapterError);
    assert.equal(error.code, 'PARTNER_API');
    assert.equal(error.status, 429);
    assert.equal(error.partnerCode, 'TOO_MANY_REQUESTS');
    assert.ok(ms < 1000, `took ${ms.toFixed(0)} ms`);
    assert.equal(api.calls('fetch'), 1);
  });

  test('500 on every try with retries: 2 gives PARTNER_API status 500 after 3 requests', async () => {
    const adapter = makeAdapter({ retries: 2 });
    api.fail({ op: 'fetch', status: 500, times: Infinity });
    const error = await rejectsWith(adapter.getUser(ada.id), 'PARTNER_API');
    assert.equal(error.status, 500);
    assert.equal(error.partnerCode, 'INTERNAL_SERVER_ERROR');
    assert.match(error.message, /Internal server error/);
    assert.match(error.message, /500/);
    assert.equal(api.calls('fetch'), 3);
  });

  test('statuses that will not change are not retried (400, 403, 409)', async () => {
    const adapter = makeAdapter();
    for (const status of [400, 403, 409]) {
      api.resetRequests();
      api.fail({ op: 'fetch', status });
      const error = await rejectsWith(adapter.getUser(ada.id), 'PARTNER_API');
      assert.equal(error.status, status);
      assert.equal(api.calls('fetch'), 1, `${status} was retried`);
    }
  });

  test("PARTNER_API: the server's own code and message are kept", async () => {
    api.fail({ status: 400, body: { message: 'Email is malformed', code: 'BAD_EMAIL' } });
    const error = await rejectsWith(
      makeAdapter({ retries: 0 }).getUserByEmail('a@b.co'),
      'PARTNER_API',
    );
    assert.equal(error.status, 400);
    assert.equal(error.partnerCode, 'BAD_EMAIL');
    assert.match(error.message, /Email is malformed/);
  });

  test('401 (a wrong secret) is PARTNER_API 401 saying "invalid secret", not retried', async () => {
    const wrong = `sk-wrong-${Math.random().toString(36).slice(2)}`;
    const adapter = makeAdapter({ secret: wrong });
    const error = await rejectsWith(adapter.getUserByEmail('ada@example.com'), 'PARTNER_API');
    assert.equal(error.status, 401);
    assert.equal(error.partnerCode, 'NOT_AUTHENTICATED');
    assert.match(error.message, /invalid secret/);
    assert.ok(!error.message.includes(wrong), 'the secret is in the message');
    assert.ok(!util.inspect(error, { showHidden: true }).includes(wrong));
    assert.equal(api.calls('list'), 1);
  });
});

describe('deadline and connection faults', () => {
  test('a server that accepts and never answers: TIMEOUT after ~timeout', async () => {
    const adapter = makeAdapter({ timeout: 500 });
    api.fail({ op: 'fetch', mode: 'hang' });
    const { error, ms } = await timed(adapter.getUser(ada.id));
    assert.ok(error instanceof AdapterError, util.inspect(error));
    assert.equal(error.code, 'TIMEOUT');
    assert.match(error.message, /500 ms/);
    assert.ok(ms >= 450 && ms <= 1500, `TIMEOUT after ${ms.toFixed(0)} ms`);
    // The next call, on a healthy server, is not affected.
    assert.equal((await adapter.getUser(ada.id))?.id, ada.id);
  });

  test('the deadline covers retries: 503s forever end in an error within the timeout', async () => {
    const adapter = makeAdapter({ timeout: 600, retries: 10, retryDelay: 100 });
    api.fail({ op: 'fetch', status: 503, times: Infinity });
    const { error, ms } = await timed(adapter.getUser(ada.id));
    assert.ok(error instanceof AdapterError, util.inspect(error));
    // A wait that would pass the deadline is not started: the last answer
    // (503) is the error. A retry sent just before the deadline ends in
    // TIMEOUT instead. Either way the call gives up in time.
    if (error.code === 'PARTNER_API') assert.equal(error.status, 503);
    else assert.equal(error.code, 'TIMEOUT', error.message);
    assert.ok(ms <= 1100, `gave up after ${ms.toFixed(0)} ms`);
  });

  test('TIMEOUT: the deadline covers retries too', async () => {
    api.fail({ mode: 'hang', times: Infinity });
    try {
      const start = Date.now();
      await rejectsWith(
        makeAdapter({ timeout: 300, retries: 3, retryDelay: 10 }).getUser('usr_x'),
        'TIMEOUT',
      );
      assert.ok(Date.now() - start < 1500, `took ${Date.now() - start} ms`);
    } finally {
      api.clearFaults();
    }
  });

  test('a slow answer within the deadline is waited for', async () => {
    const adapter = makeAdapter({ timeout: 2000 });
    api.fail({ op: 'fetch', delay: 300 });
    const { value, ms } = await timed(adapter.getUser(ada.id));
    assert.equal(value?.id, ada.id);
    assert.ok(ms >= 280, `${ms}`);
    assert.equal(api.calls('fetch'), 1);
  });

  test('connection refused: NETWORK', async () => {
    const port = await freePort();
    const adapter = makeAdapter({ baseUrl: `http://127.0.0.1:${port}`, retries: 2 });
    const { error, ms } = await timed(adapter.getUser('usr_1'));
    assert.ok(error instanceof AdapterError, util.inspect(error));
    assert.equal(error.code, 'NETWORK');
    assert.match(error.message, /cannot reach the ChatBotKit Partner API/);
    assert.ok(ms < 2000, `${ms}`);
  });

  test('a connection reset: NETWORK without retries', async () => {
    const adapter = makeAdapter({ retries: 0 });
    api.fail({ op: 'fetch', mode: 'reset' });
    const error = await rejectsWith(adapter.getUser(ada.id), 'NETWORK');
    assert.equal(api.calls('fetch'), 1);
  });

  test('a connection reset on a read is retried and succeeds', async () => {
    const adapter = makeAdapter({ retries: 2 });
    api.fail({ op: 'fetch', mode: 'reset' });
    assert.equal((await adapter.getUser(ada.id))?.id, ada.id);
    assert.equal(api.calls('fetch'), 2);
  });
});

describe('answers that cannot be read', () => {
  const cases = [
    ['garbage', /not valid JSON/],
    ['truncate', /body|truncat|incomplete|ended|length/i],
    ['huge', /larger than/],
    ['wrongShape', /shape/],
  ];
  for (const [mode, words] of cases) {
    for (const [op, call] of [
      ['fetch', (adapter) => adapter.getUser(ada.id)],
      ['list', (adapter) => adapter.getUserByEmail('ada@example.com')],
    ]) {
      test(`${mode} on ${op}: PARTNER_API with a clear message`, async () => {
        const adapter = makeAdapter({ retries: 0 });
        api.fail({ op, mode });
        const error = await rejectsWith(call(adapter), 'PARTNER_API');
        assert.match(error.message, words);
        assert.match(error.message, /ChatBotKit Partner API/);
      });
    }
  }

  test('a truncated answer to a read is retried and succeeds', async () => {
    const adapter = makeAdapter({ retries: 2 });
    api.fail({ op: 'fetch', mode: 'truncate' });
    assert.equal((await adapter.getUser(ada.id))?.id, ada.id);
    assert.equal(api.calls('fetch'), 2);
  });

  test('a non-JSON error body still gives its status and a clear message', async () => {
    const adapter = makeAdapter({ retries: 0 });
    api.fail({ op: 'fetch', status: 502, body: '<html>Bad Gateway</html>' });
    const error = await rejectsWith(adapter.getUser(ada.id), 'PARTNER_API');
    assert.equal(error.status, 502);
    assert.equal(error.partnerCode, 'ERROR_502');
    assert.match(error.message, /not the JSON/);
  });
});

describe('createUser whose answer is lost: no duplicate partner user', () => {
  const newUser = (email) => ({ email, name: 'Grace', image: null, emailVerified: null });

  async function createdOnce(adapter, email) {
    const user = await adapter.createUser(newUser(email));
    const stored = partnerUsersWithEmail(email);
    assert.equal(stored.length, 1, `${stored.length} partner users with ${email}`);
    assert.equal(user.id, stored[0].id);
    assert.equal(user.email, email);
    assert.equal(user.name, 'Grace');
    // And the adapter sees it as any later request would.
    assert.equal((await adapter.getUserByEmail(email))?.id, user.id);
    return user;
  }

  test('the create hangs after the user was made (timeout), then normal service', async () => {
    const adapter = makeAdapter({ autoCreateUser: true, timeout: 500, retries: 2 });
    api.fail({ op: 'create', mode: 'hang', apply: true });
    await createdOnce(adapter, 'grace@example.com');
    assert.equal(api.calls('create'), 1, 'the create was sent again');
  });

  test('the create answers 502 after the user was made', async () => {
    const adapter = makeAdapter({ autoCreateUser: true, retries: 2 });
    api.fail({ op: 'create', status: 502, apply: true });
    await createdOnce(adapter, 'grace502@example.com');
    assert.equal(api.calls('create'), 1);
  });

  test('the create connection is reset after the user was made', async () => {
    const adapter = makeAdapter({ autoCreateUser: true, retries: 2 });
    api.fail({ op: 'create', mode: 'reset', apply: true });
    await createdOnce(adapter, 'grace-reset@example.com');
    assert.equal(api.calls('create'), 1);
  });

  test('a 500 where the server did NOT act: created by the next try, once', async () => {
    const adapter = makeAdapter({ autoCreateUser: true, retries: 2 });
    api.fail({ op: 'create', status: 500 });
    await createdOnce(adapter, 'grace500@example.com');
    assert.equal(api.calls('create'), 2);
  });

  test('503 and 429 on create (surely not acted on) are retried: one user', async () => {
    const adapter = makeAdapter({ autoCreateUser: true, retries: 3 });
    api.fail({ op: 'create', status: 503 });
    api.fail({ op: 'create', status: 429 });
    await createdOnce(adapter, 'grace503@example.com');
    assert.equal(api.calls('create'), 3);
  });

  test('a lost answer and a reconciliation lookup that fails: never a second create', async () => {
    // The duplicate check passes (the first list is answered normally), the
    // create acts but its answer is lost (502), and every later lookup fails:
    // the adapter cannot know whether the user exists, so it must not send
    // the create again (that would make a second partner user).
    const adapter = makeAdapter({ autoCreateUser: true, retries: 2 });
    api.fail({ op: 'list', delay: 1 });
    api.fail({ op: 'list', status: 500, times: Infinity });
    api.fail({ op: 'create', status: 502, apply: true, times: Infinity });
    const email = 'grace-lost@example.com';
    const result = await adapter.createUser(newUser(email)).then(
      (user) => ({ user }),
      (error) => ({ error }),
    );
    const stored = partnerUsersWithEmail(email);
    assert.equal(stored.length, 1, `${stored.length} partner users with ${email}`);
    assert.equal(api.calls('create'), 1, 'the create was sent again');
    if (result.user) assert.equal(result.user.id, stored[0].id);
    else assert.ok(result.error instanceof AdapterError, util.inspect(result.error));
  });
});
