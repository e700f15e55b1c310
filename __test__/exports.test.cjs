// CommonJS consumers: `require('nextauth-chatbotkit')` and its subpaths.
'use strict';

const { test } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

const NAMES = [
  'ChatBotKitPartnerAdapter',
  'ChatBotKitEmailProvider',
  'Store',
  'MemoryStore',
  'RedisStore',
  'AdapterError',
];

test('require by package name gives the public API', () => {
  const pkg = require('nextauth-chatbotkit');
  for (const name of NAMES) assert.equal(typeof pkg[name], 'function', name);
  assert.equal(require.resolve('nextauth-chatbotkit'), path.join(__dirname, '..', 'index.js'));
  // The same module as the relative path: one AdapterError class.
  assert.equal(pkg, require('../index.js'));
});

test('require of the ./partner and ./testing subpaths', () => {
  const partner = require('nextauth-chatbotkit/partner');
  assert.ok(partner && Object.keys(partner).length > 0);
  const testing = require('nextauth-chatbotkit/testing');
  assert.equal(typeof testing.startFakePartnerApi, 'function');
});

test('a full round trip from CommonJS', async () => {
  const { ChatBotKitPartnerAdapter, MemoryStore, AdapterError } = require('nextauth-chatbotkit');
  const { startFakePartnerApi } = require('nextauth-chatbotkit/testing');
  const api = await startFakePartnerApi();
  try {
    const seeded = api.addUser({ email: 'cjs@example.com', name: 'CJS' });
    const { getUser, getUserByEmail, createUser } = ChatBotKitPartnerAdapter({
      secret: api.secret,
      baseUrl: api.url,
      store: new MemoryStore(),
      retries: 0,
    });
    assert.equal((await getUser(seeded.id)).name, 'CJS');
    assert.equal((await getUserByEmail('CJS@example.com')).id, seeded.id);
    await assert.rejects(
      createUser({ email: 'new@example.com', emailVerified: null }),
      (e) => e instanceof AdapterError && e.code === 'CREATE_DISABLED',
    );
  } finally {
    await api.close();
  }
});
