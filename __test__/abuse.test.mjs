// Brute force of the 6-character email code. ChatBotKitEmailProvider's code
// has 16^6 values; what keeps it from being guessed is the adapter's limit:
// after `maxVerificationAttempts` (default 5) failed uses for one email, its
// outstanding codes are void. These tests guess like an attacker would:
// one after another, and many at once.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { MemoryStore } from '../index.mjs';
import { partnerAdapter, useFakeApi } from './helpers/api.mjs';
import { storeKinds } from './helpers/stores.mjs';

const api = useFakeApi();

// The single-process store kinds (the Redis-backed ones are covered by the
// concurrent-guess tests of security.test.mjs).
const KINDS = storeKinds(null);
const makeAdapter = (store, extra = {}) => partnerAdapter(api, { store, retries: 0, ...extra });

let n = 0;
/** A fresh identifier per test, so no counter leaks from one to another. */
const email = () => `user${++n}-${randomBytes(3).toString('hex')}@example.com`;
const code = () => randomBytes(3).toString('hex');
const inFifteenMinutes = () => new Date(Date.now() + 15 * 60_000);

/** A wrong code for `token`: same length, never equal. */
function wrongCode(token, i) {
  const guess = (0x100000 + i).toString(16).slice(-6);
  return guess === token ? 'zzzzzz' : guess;
}

async function issue(adapter, identifier) {
  const token = { identifier, token: code(), expires: inFifteenMinutes() };
  await adapter.createVerificationToken(token);
  return token;
}

async function guessWrong(adapter, identifier, token, times, from = 0) {
  for (let i = from; i < from + times; i++) {
    assert.equal(
      await adapter.useVerificationToken({ identifier, token: wrongCode(token.token, i) }),
      null,
    );
  }
}

for (const [kind, make] of Object.entries(KINDS)) {
  const makeStore = async () => (await make()).store;
  describe(`maxVerificationAttempts (${kind})`, () => {
    test('5 wrong codes (the default) void the real one', async () => {
      const adapter = makeAdapter(await makeStore());
      const identifier = email();
      const token = await issue(adapter, identifier);
      await guessWrong(adapter, identifier, token, 5);
      assert.equal(
        await adapter.useVerificationToken({ identifier, token: token.token }),
        null,
        'the real code still worked after 5 wrong ones',
      );
    });

    test('every outstanding code of that email is void, not only the last one', async () => {
      const adapter = makeAdapter(await makeStore());
      const identifier = email();
      const first = await issue(adapter, identifier);
      const second = await issue(adapter, identifier);
      await guessWrong(adapter, identifier, first, 5);
      for (const token of [first, second]) {
        assert.equal(await adapter.useVerificationToken({ identifier, token: token.token }), null);
      }
      // A code issued afterwards (the user asks for a new email) works.
      const third = await issue(adapter, identifier);
      const used = await adapter.useVerificationToken({ identifier, token: third.token });
      assert.equal(used?.token, third.token);
    });

    test('4 wrong codes, then the right one: signed in', async () => {
      const adapter = makeAdapter(await makeStore());
      const identifier = email();
      const token = await issue(adapter, identifier);
      await guessWrong(adapter, identifier, token, 4);
      const used = await adapter.useVerificationToken({ identifier, token: token.token });
      assert.deepEqual(used, token);
      // Single use, still.
      assert.equal(await adapter.useVerificationToken({ identifier, token: token.token }), null);
    });

    test('a successful use resets the count', async () => {
      const adapter = makeAdapter(await makeStore());
      const identifier = email();
      const a = await issue(adapter, identifier);
      await guessWrong(adapter, identifier, a, 4);
      assert.ok(await adapter.useVerificationToken({ identifier, token: a.token }));
      const b = await issue(adapter, identifier);
      await guessWrong(adapter, identifier, b, 4, 100);
      assert.deepEqual(await adapter.useVerificationToken({ identifier, token: b.token }), b);
    });

    test('a custom limit: 2', async () => {
      const adapter = makeAdapter(await makeStore(), { maxVerificationAttempts: 2 });
      const identifier = email();
      const ok = await issue(adapter, identifier);
      await guessWrong(adapter, identifier, ok, 1);
      assert.ok(await adapter.useVerificationToken({ identifier, token: ok.token }));
      const voided = await issue(adapter, identifier);
      await guessWrong(adapter, identifier, voided, 2);
      assert.equal(await adapter.useVerificationToken({ identifier, token: voided.token }), null);
    });

    test('maxVerificationAttempts: 0 disables the limit', async () => {
      const adapter = makeAdapter(await makeStore(), { maxVerificationAttempts: 0 });
      const identifier = email();
      const token = await issue(adapter, identifier);
      await guessWrong(adapter, identifier, token, 25);
      assert.deepEqual(
        await adapter.useVerificationToken({ identifier, token: token.token }),
        token,
      );
    });

    test('identifiers compare trimmed and case-insensitively, for the code and the count', async () => {
      const adapter = makeAdapter(await makeStore());
      const base = email();
      const token = await issue(
        adapter,
        `  ${base[0].toUpperCase()}${base.slice(1).toUpperCase()} `,
      );
      const used = await adapter.useVerificationToken({ identifier: base, token: token.token });
      assert.equal(
        used?.token,
        token.token,
        'a code made for "Ada@Example.com " did not work for "ada@example.com"',
      );

      // Wrong guesses under different spellings add up to one count.
      const other = await issue(adapter, base);
      const spellings = [
        base,
        base.toUpperCase(),
        ` ${base}`,
        `${base}\t`,
        `  ${base.toUpperCase()}  `,
      ];
      for (const [i, identifier] of spellings.entries()) {
        assert.equal(
          await adapter.useVerificationToken({ identifier, token: wrongCode(other.token, i) }),
          null,
        );
      }
      assert.equal(
        await adapter.useVerificationToken({ identifier: base, token: other.token }),
        null,
      );
    });

    test('Ada@Example.com (with a trailing space) is used as ada@example.com', async () => {
      const adapter = makeAdapter(await makeStore());
      const token = await issue(adapter, 'Ada@Example.com ');
      const used = await adapter.useVerificationToken({
        identifier: 'ada@example.com',
        token: token.token,
      });
      assert.equal(used?.token, token.token);
      assert.equal(
        await adapter.useVerificationToken({ identifier: 'ada@example.com', token: token.token }),
        null,
      );
    });

    test("wrong guesses for one email do not void another email's code", async () => {
      const adapter = makeAdapter(await makeStore());
      const victim = email();
      const attacker = email();
      const token = await issue(adapter, victim);
      const own = await issue(adapter, attacker);
      await guessWrong(adapter, attacker, own, 10);
      assert.deepEqual(
        await adapter.useVerificationToken({ identifier: victim, token: token.token }),
        token,
      );
    });

    test('the right code under another email is a failure and never returns the token', async () => {
      const adapter = makeAdapter(await makeStore());
      const owner = email();
      const token = await issue(adapter, owner);
      assert.equal(
        await adapter.useVerificationToken({ identifier: email(), token: token.token }),
        null,
      );
      assert.deepEqual(
        await adapter.useVerificationToken({ identifier: owner, token: token.token }),
        token,
      );
    });
  });
}

describe('guesses sent at the same time', () => {
  test('50 concurrent wrong guesses on MemoryStore void the code (atomic count)', async () => {
    const adapter = makeAdapter(new MemoryStore());
    const identifier = email();
    const token = await issue(adapter, identifier);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        adapter.useVerificationToken({ identifier, token: wrongCode(token.token, i) }),
      ),
    );
    assert.deepEqual(new Set(results), new Set([null]));
    assert.equal(await adapter.useVerificationToken({ identifier, token: token.token }), null);
  });

  test('50 concurrent uses of the right code: exactly one succeeds (MemoryStore)', async () => {
    const adapter = makeAdapter(new MemoryStore());
    const identifier = email();
    const token = await issue(adapter, identifier);
    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        adapter.useVerificationToken({ identifier, token: token.token }),
      ),
    );
    assert.equal(results.filter((r) => r !== null).length, 1);
  });

  test('a burst of concurrent guesses mixed with the right code cannot sign in after the limit', async () => {
    // 200 wrong guesses and the right code at the end, all at once: the
    // right code may win only if it is among the first 5 uses counted.
    const adapter = makeAdapter(new MemoryStore());
    const identifier = email();
    const token = await issue(adapter, identifier);
    const guesses = Array.from({ length: 200 }, (_, i) => wrongCode(token.token, i));
    const results = await Promise.all(
      [...guesses, token.token].map((t) => adapter.useVerificationToken({ identifier, token: t })),
    );
    assert.equal(results.slice(0, -1).filter((r) => r !== null).length, 0);
    assert.equal(results.at(-1), null, 'the right code, sent after 200 wrong ones, still worked');
  });

  // A JS store (Upstash, Vercel KV: the usual production store on Vercel)
  // is where the limit matters most. An attacker does not wait for one
  // answer before sending the next guess.
  for (const kind of ['js object', 'js object without getdel']) {
    test(`50 concurrent wrong guesses on a ${kind} store void the code`, async () => {
      const adapter = makeAdapter((await KINDS[kind]()).store);
      const identifier = email();
      const token = await issue(adapter, identifier);
      await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          adapter.useVerificationToken({ identifier, token: wrongCode(token.token, i) }),
        ),
      );
      assert.equal(
        await adapter.useVerificationToken({ identifier, token: token.token }),
        null,
        'the real code still worked after 50 concurrent wrong guesses',
      );
    });
  }
});
