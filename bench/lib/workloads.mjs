// The workloads: what one "call" is, which peers run it, which limit bounds
// it. `prepare(adapter, ctx)` sets up state (sessions, users) and resolves to
// `call(seq)`; every call checks its answer, so a peer that returns the wrong
// thing counts errors instead of looking fast.

import { randomBytes } from 'node:crypto';
import { benchUser } from './users.mjs';

const FIFTEEN_MINUTES = 15 * 60 * 1000;
const THIRTY_DAYS = 30 * 24 * 3600 * 1000;

function expect(condition, what) {
  if (!condition) throw new Error(`wrong answer: ${what}`);
}

export const WORKLOADS = {
  getUserByEmail: {
    title: 'getUserByEmail',
    unit: 'calls/s',
    bound: 'Partner API',
    describe:
      'one `getUserByEmail` for an existing partner user (a different one each call, so ' +
      'no two in-flight calls share a lookup): one `GET /v1/partner/user/list?email=…`',
    peers: ['ours-memory', 'baseline'],
    limit: 'limit-http',
    httpPath: (i, users) =>
      `/v1/partner/user/list?email=${encodeURIComponent(benchUser(i % users).email)}`,
    async prepare(adapter, ctx) {
      return async (seq) => {
        const u = benchUser(seq % ctx.users);
        const user = await adapter.getUserByEmail(u.email);
        expect(user?.id === u.id, `getUserByEmail(${u.email}) → ${user?.id}`);
      };
    },
  },

  getUser: {
    title: 'getUser',
    unit: 'calls/s',
    bound: 'Partner API',
    describe: 'one `getUser` by partner user id: one `GET /v1/partner/user/{id}/fetch`',
    peers: ['ours-memory', 'baseline'],
    limit: 'limit-http',
    httpPath: (i, users) => `/v1/partner/user/${benchUser(i % users).id}/fetch`,
    async prepare(adapter, ctx) {
      return async (seq) => {
        const u = benchUser(seq % ctx.users);
        const user = await adapter.getUser(u.id);
        expect(user?.email === u.email, `getUser(${u.id})`);
      };
    },
  },

  tokenPair: {
    title: 'verification token create + use',
    unit: 'pairs/s',
    bound: 'store',
    describe:
      '`createVerificationToken` then `useVerificationToken` of the same token, for a ' +
      'fresh identifier each pair (as distinct people signing in); the token is a ' +
      '64-hex-digit string like the hash Auth.js stores',
    peers: ['ours-redis', 'ours-ioredis', 'ours-memory', 'baseline', 'unstorage', 'upstash'],
    limit: 'limit-redis',
    async prepare(adapter) {
      const prefix = randomBytes(24).toString('hex');
      const run = `${process.pid}-${randomBytes(3).toString('hex')}`;
      return async (seq) => {
        const identifier = `pair-${run}-${seq}@bench.example`;
        const token = `${prefix}${seq.toString(16).padStart(16, '0')}`;
        const expires = new Date(Date.now() + FIFTEEN_MINUTES);
        await adapter.createVerificationToken({ identifier, token, expires });
        const used = await adapter.useVerificationToken({ identifier, token });
        expect(used?.token === token, 'useVerificationToken returned the token');
      };
    },
  },

  session: {
    title: 'getSessionAndUser (database sessions)',
    unit: 'calls/s',
    bound: 'store (+ Partner API for ours without a user cache)',
    describe:
      '`getSessionAndUser` of one of 1,024 live database sessions. Ours reads the session ' +
      'from its store and the user from the Partner API (`GET …/fetch`), or from its user ' +
      'cache when `userCacheTtl` is set; the store-only adapters read both from Redis',
    peers: ['ours-redis', 'ours-redis-cached', 'ours-ioredis', 'unstorage', 'upstash'],
    na: {
      baseline: 'the original refuses database sessions ("Database strategy not supported")',
    },
    limit: 'limit-redis',
    async prepare(adapter, ctx) {
      const count = ctx.sessions;
      const expected = [];
      let userIds;
      if (ctx.storesUsers) {
        // Users live in the adapter's own store: create them there.
        userIds = [];
        for (let i = 0; i < ctx.users; i++) {
          const { id: _ignored, createdAt: _c, ...fields } = benchUser(i);
          const user = await adapter.createUser({ ...fields, emailVerified: new Date() });
          userIds.push(user.id);
        }
      } else {
        userIds = Array.from({ length: ctx.users }, (_, i) => benchUser(i).id);
      }
      const expires = new Date(Date.now() + THIRTY_DAYS);
      const tokens = [];
      for (let i = 0; i < count; i++) {
        const sessionToken = `sess-${randomBytes(16).toString('hex')}`;
        const userId = userIds[i % userIds.length];
        await adapter.createSession({ sessionToken, userId, expires });
        tokens.push(sessionToken);
        expected.push(userId);
      }
      return async (seq) => {
        const i = seq % count;
        const found = await adapter.getSessionAndUser(tokens[i]);
        expect(found?.user?.id === expected[i], `getSessionAndUser(${tokens[i]})`);
        expect(found.session.expires instanceof Date, 'session.expires is a Date');
      };
    },
  },

  signIn: {
    title: 'full email sign-in through @auth/core',
    unit: 'sign-ins/s',
    bound: 'Auth.js CPU + Partner API + store',
    describe:
      'what `npm run demo` does, for an existing partner user: `GET /auth/csrf`, ' +
      '`POST /auth/signin/email`, read the code from the outbox, `GET /auth/callback/email`, ' +
      '`GET /auth/session` (JWT strategy), all through `Auth()` from @auth/core with ' +
      '`Request` objects; the adapter sees getUserByEmail, createVerificationToken, ' +
      'useVerificationToken, getUserByEmail, updateUser',
    peers: ['ours-redis', 'ours-ioredis', 'baseline'],
    limit: null,
    async prepare(adapter, ctx) {
      const { makeSignIn } = await import('./signin.mjs');
      const signIn = await makeSignIn(adapter);
      return async (seq) => {
        const u = benchUser(seq % ctx.users);
        await signIn(u.email);
      };
    },
  },
};

export const WORKLOAD_ORDER = ['getUserByEmail', 'getUser', 'tokenPair', 'session', 'signIn'];
