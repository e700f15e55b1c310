// The package's entry points as applications load them: the root by import
// and require, and every path of @chatbotkit/nextauth's exports map under
// this package's name, with the names it had there (an application that
// changes only its dependency name keeps working).
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
    // The same module as the relative path: one AdapterError class.
    assert.equal(cjs, require('./index.js'));
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

  test('the Edge / worker stub exports exactly the names of the package, by import and require', async () => {
    // ES modules name their exports statically, so index.mjs and lib/edge.mjs
    // each list them: held here to index.js's, the one that counts.
    const names = Object.keys(cjs).sort();
    const esmNames = (module) =>
      Object.keys(module)
        .filter((name) => name !== 'default')
        .sort();
    assert.deepEqual(esmNames(esm), names, 'index.mjs');
    assert.deepEqual(Object.keys(require('./lib/edge.js')).sort(), names, 'lib/edge.js');
    assert.deepEqual(esmNames(await import('../lib/edge.mjs')), names, 'lib/edge.mjs');
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

// --- the paths of the original package ---------------------------------------

const PARTNER_ADAPTER = ['ChatBotKitPartnerAdapter', 'Store', 'MemoryStore'];
const PARTNER_PROVIDER = ['ChatBotKitEmailProvider'];
const CONTACT_ADAPTER = ['ChatBotKitContactAdapter', 'ContactStore', 'ContactMemoryStore'];
const CONTACT_PROVIDER = ['ChatBotKitContactEmailProvider'];
const PARTNER = [...PARTNER_ADAPTER, ...PARTNER_PROVIDER];
const CONTACT = [...CONTACT_ADAPTER, ...CONTACT_PROVIDER];

/** Each path of the original map, with the names the original exported there. */
const PATHS = {
  '': [...PARTNER, ...CONTACT],
  '/index': [...PARTNER, ...CONTACT],
  '/index.js': [...PARTNER, ...CONTACT],
  '/partner': PARTNER,
  '/partner/index': PARTNER,
  '/partner/index.js': PARTNER,
  '/partner/adapter': PARTNER_ADAPTER,
  '/partner/adapter.js': PARTNER_ADAPTER,
  '/partner/provider': PARTNER_PROVIDER,
  '/partner/provider.js': PARTNER_PROVIDER,
  '/contact': CONTACT,
  '/contact/index': CONTACT,
  '/contact/index.js': CONTACT,
  '/contact/adapter': CONTACT_ADAPTER,
  '/contact/adapter.js': CONTACT_ADAPTER,
  '/contact/provider': CONTACT_PROVIDER,
  '/contact/provider.js': CONTACT_PROVIDER,
};

const rootModule = cjs;

for (const [subpath, names] of Object.entries(PATHS)) {
  const specifier = `nextauth-chatbotkit${subpath}`;

  test(`${specifier}: import and require give ${names.join(', ')}`, async () => {
    const imported = await import(specifier);
    const required = require(specifier);
    for (const name of names) {
      assert.equal(typeof imported[name], 'function', `import { ${name} } from '${specifier}'`);
      assert.equal(typeof required[name], 'function', `require('${specifier}').${name}`);
      // One class and one function per name, whichever path loaded it.
      assert.equal(imported[name], rootModule[name], `${name} via import`);
      assert.equal(required[name], rootModule[name], `${name} via require`);
    }
  });
}

test('the adapter subpaths export no provider and the provider subpaths no adapter', async () => {
  const adapter = await import('nextauth-chatbotkit/partner/adapter');
  assert.equal(adapter.ChatBotKitEmailProvider, undefined);
  const provider = require('nextauth-chatbotkit/contact/provider');
  assert.equal(provider.ChatBotKitContactAdapter, undefined);
  assert.deepEqual(Object.keys(provider), CONTACT_PROVIDER);
});

test('the Contact family stores are the Store contract: instanceof holds both ways', () => {
  const { ContactStore, ContactMemoryStore, Store, MemoryStore } = rootModule;
  const store = new ContactMemoryStore();
  assert.ok(store instanceof ContactStore);
  assert.ok(store instanceof Store);
  assert.ok(new MemoryStore() instanceof ContactStore);
});
