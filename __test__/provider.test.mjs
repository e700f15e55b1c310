// ChatBotKitEmailProvider: an Auth.js email provider with 6-character codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatBotKitEmailProvider, AdapterError } from '../index.mjs';

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

test('without sendVerificationRequest it throws CONFIG', () => {
  for (const options of [undefined, {}, null, { sendVerificationRequest: 'not a function' }]) {
    assert.throws(
      () => ChatBotKitEmailProvider(options),
      (e) => e instanceof AdapterError && e.code === 'CONFIG',
      `options ${JSON.stringify(options)}`,
    );
  }
});
