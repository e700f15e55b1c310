// The real @upstash/redis and @vercel/kv clients passed directly as the
// store (their `{ px }` shape, no wrapper), against a real redis-server
// behind a local stand-in for Upstash's REST API.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { partnerAdapter, useFakeApi } from './helpers/api.mjs';
import { keys } from './helpers/keys.mjs';
import { redisTestOptions, startRedis } from './helpers/redis.mjs';
import { startUpstashGateway } from './helpers/upstash-gateway.mjs';

const inMs = (ms) => new Date(Date.now() + ms);

describe('Upstash-shaped clients as the store', redisTestOptions(), () => {
  let redis;
  let gateway;
  const api = useFakeApi();

  before(async () => {
    redis = await startRedis();
    gateway = await startUpstashGateway(redis.url);
  });

  after(async () => {
    await gateway?.close();
    await redis?.close();
  });

  const clients = {
    '@upstash/redis': async () => {
      const { Redis } = await import('@upstash/redis');
      return new Redis({ url: gateway.url, token: gateway.token, enableTelemetry: false });
    },
    '@vercel/kv': async () => {
      const { createClient } = await import('@vercel/kv');
      return createClient({ url: gateway.url, token: gateway.token, enableTelemetry: false });
    },
  };

  for (const [name, make] of Object.entries(clients)) {
    describe(name, () => {
      let adapter;

      before(async () => {
        redis.flush();
        adapter = partnerAdapter(api, { store: await make(), autoDeleteUser: true });
      });

      test('verification tokens: used once, Dates intact, TTL set in Redis', async () => {
        const token = { identifier: 'kv@example.com', token: `tok-${name}`, expires: inMs(60_000) };
        assert.deepEqual(await adapter.createVerificationToken(token), token);
        const ttl = Number(redis.cli('PTTL', keys.verification(token.identifier, token.token)));
        assert.ok(ttl > 50_000 && ttl <= 60_000, `PTTL ${ttl}`);
        const used = await adapter.useVerificationToken(token);
        assert.deepEqual(used, token);
        assert.ok(used.expires instanceof Date);
        assert.equal(await adapter.useVerificationToken(token), null);
      });

      test("concurrent uses of one token: exactly one wins (the client's getdel)", async () => {
        const token = {
          identifier: 'kv@example.com',
          token: `race-${name}`,
          expires: inMs(60_000),
        };
        await adapter.createVerificationToken(token);
        const results = await Promise.all(
          Array.from({ length: 50 }, () => adapter.useVerificationToken(token)),
        );
        assert.equal(results.filter((r) => r !== null).length, 1);
      });

      test('sessions, accounts and the deleteUser cascade', async () => {
        const user = api.addUser({ email: `kv-${name.replace(/\W/g, '')}@example.com` });
        const session = {
          sessionToken: `kv-sess-${name}`,
          userId: user.id,
          expires: inMs(3_600_000),
        };
        assert.deepEqual(await adapter.createSession(session), session);
        const ttl = Number(redis.cli('PTTL', keys.session(session.sessionToken)));
        assert.ok(ttl > 3_500_000, `PTTL ${ttl}`);
        const read = await adapter.getSessionAndUser(session.sessionToken);
        assert.deepEqual(read.session, session);
        assert.equal(read.user.id, user.id);

        const account = {
          userId: user.id,
          type: 'oauth',
          provider: 'github',
          providerAccountId: `kv-${name}`,
          access_token: 'at',
          expires_at: 1_900_000_000,
          refresh_token: null,
        };
        await adapter.linkAccount(account);
        assert.deepEqual(await adapter.getAccount(account.providerAccountId, 'github'), account);
        assert.equal(
          (
            await adapter.getUserByAccount({
              provider: 'github',
              providerAccountId: account.providerAccountId,
            })
          )?.id,
          user.id,
        );

        await adapter.deleteUser(user.id);
        assert.equal(redis.cli('EXISTS', keys.session(session.sessionToken)), '0');
        assert.equal(redis.cli('EXISTS', keys.account('github', account.providerAccountId)), '0');
        for (const kind of ['accounts', 'sessions', 'authenticators']) {
          assert.equal(redis.cli('EXISTS', keys.index(user.id, kind)), '0', kind);
        }
      });
    });
  }
});
