// ChatBotKitEmailProvider and ChatBotKitContactEmailProvider: Auth.js email
// providers with 6-character codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ChatBotKitEmailProvider,
  ChatBotKitContactEmailProvider,
  AdapterError,
} from '../index.mjs';

const send = async () => {};

test('an email provider: type email, maxAge 900 seconds', () => {
  const provider = ChatBotKitEmailProvider({ sendVerificationRequest: send });
  assert.equal(provider.type, 'email');
  assert.equal(provider.id, 'email');
  assert.equal(provider.maxAge, 900);
  assert.equal(typeof provider.generateVerificationToken, 'function');
});

test('codes are 6-character lowercase hex, and not all the same', () => {
  const provider = ChatBotKitEmailProvider({ sendVerificationRequest: send });
  const codes = Array.from({ length: 1000 }, () => provider.generateVerificationToken());
  for (const code of codes) assert.match(code, /^[0-9a-f]{6}$/);
  const distinct = new Set(codes);
  assert.ok(distinct.size > 1, 'all 1000 codes are equal');
  // 24 random bits: 1000 draws collide a few dozen times at most.
  assert.ok(distinct.size > 900, `only ${distinct.size} distinct codes in 1000`);
});

test("keeps the user's sendVerificationRequest", async () => {
  const sent = [];
  const sendVerificationRequest = async (params) => {
    sent.push(params);
  };
  const provider = ChatBotKitEmailProvider({ sendVerificationRequest });
  assert.equal(provider.sendVerificationRequest, sendVerificationRequest);
  await provider.sendVerificationRequest({ identifier: 'a@example.com', token: 'abc123' });
  assert.deepEqual(sent, [{ identifier: 'a@example.com', token: 'abc123' }]);
  assert.equal(provider.options.sendVerificationRequest, sendVerificationRequest);
});

test('options given override the defaults', () => {
  const provider = ChatBotKitEmailProvider({
    sendVerificationRequest: send,
    id: 'chatbotkit-email',
    name: 'ChatBotKit',
    from: 'auth@example.com',
    maxAge: 300,
  });
  assert.equal(provider.id, 'chatbotkit-email');
  assert.equal(provider.name, 'ChatBotKit');
  assert.equal(provider.from, 'auth@example.com');
  assert.equal(provider.maxAge, 300);
  assert.equal(provider.type, 'email');
});

test('a sendVerificationRequest that is not a function is a CONFIG error', () => {
  for (const options of [{ sendVerificationRequest: 'not a function' }, 'options', 42]) {
    for (const factory of [ChatBotKitEmailProvider, ChatBotKitContactEmailProvider]) {
      assert.throws(
        () => factory(options),
        (e) => e instanceof AdapterError && e.code === 'CONFIG',
        `${factory.name}(${JSON.stringify(options)})`,
      );
    }
  }
});

/** Runs `fn` with NODE_ENV set to `value` and console.log captured. */
async function withEnv(value, fn) {
  const saved = process.env.NODE_ENV;
  const log = console.log;
  const printed = [];
  console.log = (...args) => printed.push(args.join(' '));
  if (value === undefined) delete process.env.NODE_ENV;
  else process.env.NODE_ENV = value;
  try {
    await fn();
  } finally {
    console.log = log;
    if (saved === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = saved;
  }
  return printed;
}

for (const factory of [ChatBotKitEmailProvider, ChatBotKitContactEmailProvider]) {
  test(`${factory.name}() works with no options, as the original documents`, () => {
    for (const options of [undefined, null, {}]) {
      const provider = factory(options);
      assert.equal(provider.id, 'email');
      assert.equal(provider.type, 'email');
      assert.equal(provider.maxAge, 900);
      assert.equal(typeof provider.sendVerificationRequest, 'function');
      assert.match(provider.generateVerificationToken(), /^[0-9a-f]{6}$/);
    }
  });

  test(`${factory.name}(): the default sender prints the code in development`, async () => {
    for (const env of [undefined, 'development', 'test']) {
      const printed = await withEnv(env, () =>
        factory().sendVerificationRequest({ identifier: 'dev@example.com', token: 'c0ffee' }),
      );
      const text = printed.join('\n');
      assert.match(text, /dev@example\.com/, `NODE_ENV=${env}`);
      assert.match(text, /c0ffee/, `NODE_ENV=${env}`);
    }
  });

  test(`${factory.name}(): the default sender refuses in production, printing nothing`, async () => {
    const printed = await withEnv('production', async () => {
      const send = factory().sendVerificationRequest({
        identifier: 'prod@example.com',
        token: 'abc123',
      });
      await assert.rejects(
        send,
        (e) =>
          e instanceof AdapterError &&
          e.code === 'CONFIG' &&
          e.message.includes(factory.name) &&
          e.message.includes('sendVerificationRequest') &&
          !e.message.includes('abc123'),
      );
    });
    assert.deepEqual(printed, []);
  });
}
