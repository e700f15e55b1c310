// The fake ChatBotKit API (testing/) as a test file uses it, and the partner
// adapter on it. A suite writes
//
//   const api = useFakeApi();               // started before, closed after
//   const adapter = partnerAdapter(api, { retries: 0 });
//
// and reads `api.url`, `api.users`, `api.fail(...)` as on the fake itself.

import { before, after, beforeEach } from 'node:test';
import { ChatBotKitPartnerAdapter } from '../../index.js';
import { startFakePartnerApi } from '../../testing/index.mjs';
import { freshMemoryStore } from './stores.mjs';

/**
 * Starts a fake API before the tests of the enclosing file (or describe) and
 * closes it after them. `options` go to startFakePartnerApi; `reset: true`
 * also resets it before each test (seeded people only, no faults, no logged
 * requests). The handle forwards to the running fake, so it can be captured
 * at load time and used once the tests run. A suite's own `before` that uses
 * the fake first awaits `api.ready`: Node 20 does not wait for one `before`
 * hook to finish before it starts the next.
 */
export function useFakeApi(options = {}, { reset = false } = {}) {
  let fake = null;
  let starting = null;
  const start = () => {
    starting ??= startFakePartnerApi(options).then((started) => (fake = started));
    return starting;
  };
  before(start);
  after(async () => (await starting)?.close());
  if (reset) beforeEach(() => fake.reset());
  return new Proxy(
    {},
    {
      get(_target, name) {
        if (name === 'ready') return start();
        if (!fake) throw new Error(`the fake API is not running yet (read of ${String(name)})`);
        const value = fake[name];
        return typeof value === 'function' ? value.bind(fake) : value;
      },
    },
  );
}

/**
 * A partner adapter on the fake `api` with a MemoryStore of its own (so no
 * test sees another's records); `options` add to or replace any of these.
 */
export function partnerAdapter(api, options = {}) {
  return ChatBotKitPartnerAdapter({
    secret: api.secret,
    baseUrl: api.url,
    store: freshMemoryStore(),
    ...options,
  });
}
