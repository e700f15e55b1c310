'use strict';

// What bundles for the Edge runtime (middleware.ts) and Cloudflare-style
// workers get instead of the native addon (the `edge-light` and `worker`
// export conditions of package.json; `browser` adds `server-only`). Importing it
// never throws, so an `auth.ts` that such a bundle pulls in still loads;
// whatever needs the adapter throws an AdapterError that names the fix.

const { AdapterError } = require('./errors.js');
const { emailProvider, emailCallbackUrl } = require('./email.js');

const FIX =
  'Use proxy.ts (Next.js 16, Node.js runtime), or split the configuration: an adapter-free ' +
  "auth.config.ts with session: { strategy: 'jwt' } for middleware.ts, and auth.ts with the " +
  'adapter for everything else (README, "Middleware and the Edge runtime")';

function needsNode(what) {
  return new AdapterError(
    'CONFIG',
    `nextauth-chatbotkit: ${what} needs the Node.js runtime (a native addon), and this code runs ` +
      `on the Edge runtime or in a worker (middleware.ts, \`export const runtime = 'edge'\`). ${FIX}`,
  );
}

const fail = (what) => () => {
  throw needsNode(what);
};
const reject = (what) => async () => {
  throw needsNode(what);
};

// The Auth.js adapter contract, as the native core lists it (adapterMethods();
// __test__/setup.test.mjs keeps the two equal). Auth.js copies the adapter and
// checks its methods, so they are real properties.
const ADAPTER_METHODS = [
  'createUser',
  'getUser',
  'getUserByEmail',
  'getUserByAccount',
  'updateUser',
  'deleteUser',
  'linkAccount',
  'unlinkAccount',
  'getAccount',
  'createSession',
  'getSessionAndUser',
  'updateSession',
  'deleteSession',
  'createVerificationToken',
  'useVerificationToken',
  'createAuthenticator',
  'getAuthenticator',
  'listAuthenticatorsByUserId',
  'updateAuthenticatorCounter',
];

/** An adapter whose every method rejects with the error above. */
function ChatBotKitPartnerAdapter() {
  return Object.fromEntries(ADAPTER_METHODS.map((name) => [name, reject(`the adapter (${name})`)]));
}

class Store {
  async get() {
    throw needsNode('Store.get');
  }
  async set() {
    throw needsNode('Store.set');
  }
  async del() {
    throw needsNode('Store.del');
  }
}

class MemoryStore extends Store {
  get size() {
    return fail('MemoryStore')();
  }
}
MemoryStore.prototype.getdel = reject('MemoryStore');
MemoryStore.prototype.sweep = fail('MemoryStore');
MemoryStore.prototype.clear = fail('MemoryStore');

class RedisStore extends Store {}
RedisStore.prototype.getdel = reject('RedisStore');
RedisStore.prototype.close = () => {};

/** The provider's shape works anywhere; making a code needs the adapter's runtime. */
function ChatBotKitEmailProvider(options = {}) {
  return emailProvider(options, fail('ChatBotKitEmailProvider (making a code)'));
}

module.exports = {
  ChatBotKitPartnerAdapter,
  ChatBotKitEmailProvider,
  Store,
  MemoryStore,
  RedisStore,
  AdapterError,
  createChatBotKitSession: reject('createChatBotKitSession'),
  emailCallbackUrl,
};
