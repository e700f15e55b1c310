// Every path of @chatbotkit/nextauth's exports map resolves under this
// package's name, for `import` and for `require`, with the names it had
// there: an application that changes only its dependency name keeps working.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(root);

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

const rootModule = require('nextauth-chatbotkit');

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

test('each import path is a module the package ships (package.json "files")', () => {
  const manifest = require('nextauth-chatbotkit/package.json');
  for (const subpath of Object.keys(PATHS)) {
    const entry = manifest.exports[`.${subpath}`];
    assert.ok(entry, `exports has .${subpath}`);
    for (const condition of ['types', 'import', 'require']) {
      const top = entry[condition].replace(/^\.\//, '').split('/')[0];
      assert.ok(
        manifest.files.some((f) => f.replace(/\/$/, '') === top),
        `${entry[condition]} is in "files"`,
      );
    }
  }
});
