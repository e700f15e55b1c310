// The package's entry points, as applications load them, and the shape of
// the adapter object Auth.js relies on.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import * as esm from 'nextauth-chatbotkit';
import esmDefault from 'nextauth-chatbotkit';
import { startFakePartnerApi } from 'nextauth-chatbotkit/testing';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(root);
const cjs = require('nextauth-chatbotkit');

const NAMES = [
  'ChatBotKitPartnerAdapter',
  'ChatBotKitEmailProvider',
  'Store',
  'MemoryStore',
  'RedisStore',
  'AdapterError',
];

describe('entry points', () => {
  test('require() exposes every public name', () => {
    for (const name of NAMES) assert.equal(typeof cjs[name], 'function', name);
    assert.equal(require.resolve('nextauth-chatbotkit'), `${root}index.js`);
  });

  test('import exposes every public name, the same objects as require()', () => {
    for (const name of NAMES) {
      assert.equal(typeof esm[name], 'function', name);
      assert.equal(esm[name], cjs[name], `${name} differs between import and require`);
    }
    for (const name of NAMES) assert.equal(esmDefault[name], cjs[name], `default.${name}`);
  });

  test('an error thrown through one entry point is an instance of the other’s AdapterError', async () => {
    const adapter = esm.ChatBotKitPartnerAdapter({
      secret: 's',
      baseUrl: 'http://127.0.0.1:9',
      store: new esm.MemoryStore(),
    });
    await assert.rejects(adapter.getUser(42), cjs.AdapterError);
    assert.throws(() => cjs.ChatBotKitPartnerAdapter({}), esm.AdapterError);
  });

  test('the native stores are Stores', () => {
    assert.ok(new esm.MemoryStore() instanceof esm.Store);
    assert.ok(esm.RedisStore.prototype instanceof esm.Store);
  });

  test('the ./partner subpath resolves, for import and require', async () => {
    const partner = await import('nextauth-chatbotkit/partner');
    assert.ok(Object.keys(partner).length > 0, 'nextauth-chatbotkit/partner exports nothing');
    const required = require('nextauth-chatbotkit/partner');
    assert.ok(required && Object.keys(required).length > 0);
  });

  test('the ./testing subpath resolves, for import and require', async () => {
    const testing = await import('nextauth-chatbotkit/testing');
    assert.equal(typeof testing.startFakePartnerApi, 'function');
    assert.equal(testing.startFakePartnerApi, startFakePartnerApi);
    assert.equal(require('nextauth-chatbotkit/testing').startFakePartnerApi, startFakePartnerApi);
  });

  test('./package.json is exported', () => {
    const pkg = require('nextauth-chatbotkit/package.json');
    assert.equal(pkg.name, 'nextauth-chatbotkit');
  });
});
