// Every adapter the bench drives, built the way a user would build it.
// Modules are imported lazily, so a worker process only loads its own peer.

export const PEERS = {
  'ours-memory': {
    label: 'nextauth-chatbotkit · MemoryStore',
    short: 'ours (MemoryStore)',
    color: '#d62728',
  },
  'ours-redis': {
    label: 'nextauth-chatbotkit · RedisStore (native)',
    short: 'ours (RedisStore)',
    color: '#ff7f0e',
  },
  'ours-redis-cached': {
    label: 'nextauth-chatbotkit · RedisStore, userCacheTtl 60 s',
    short: 'ours (RedisStore, user cache)',
    color: '#8c564b',
  },
  'ours-ioredis': {
    label: 'nextauth-chatbotkit · ioredis client as a JS store',
    short: 'ours (ioredis JS store)',
    color: '#9467bd',
  },
  baseline: {
    label: 'JS baseline: original logic over @chatbotkit/sdk · ioredis store',
    short: 'JS baseline',
    color: '#1f77b4',
  },
  unstorage: {
    label: '@auth/unstorage-adapter · unstorage redis driver (ioredis)',
    short: 'unstorage-adapter',
    color: '#2ca02c',
  },
  upstash: {
    label: '@auth/upstash-redis-adapter code · @upstash/redis shim over ioredis (no REST)',
    short: 'upstash-redis-adapter (shim)',
    color: '#17becf',
  },
  'limit-http': {
    label: 'limit: autocannon, bare HTTP on the same endpoint',
    short: 'bare HTTP (autocannon)',
    color: '#555555',
    limit: true,
  },
  'limit-redis': {
    label: 'reference: redis-benchmark, the same commands, N connections',
    short: 'redis-benchmark',
    color: '#555555',
    limit: true,
  },
};

/** Options every native adapter gets (the defaults otherwise). */
function ourOptions(env, extra = {}) {
  return {
    secret: env.partnerSecret,
    baseUrl: env.partnerUrl,
    autoCreateUser: false,
    autoUpdateUser: true,
    ...extra,
  };
}

async function ioredisClient(env) {
  const { default: Redis } = await import('ioredis');
  const client = new Redis(env.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 2 });
  await client.ping();
  return client;
}

/**
 * Builds the adapter of `peer`. Resolves to { adapter, close(), storesUsers }:
 * `storesUsers` is true for adapters that keep users in their own store
 * (unstorage, upstash) rather than in ChatBotKit.
 */
export async function makeAdapter(peer, env) {
  switch (peer) {
    case 'ours-memory':
    case 'ours-redis':
    case 'ours-redis-cached':
    case 'ours-ioredis': {
      const { ChatBotKitPartnerAdapter, MemoryStore, RedisStore } = await import('../../index.mjs');
      let store;
      let close = async () => {};
      let extra = {};
      if (peer === 'ours-memory') store = new MemoryStore();
      else if (peer === 'ours-ioredis') {
        store = await ioredisClient(env);
        close = async () => void (await store.quit());
      } else {
        store = new RedisStore({ url: env.redisUrl });
        close = async () => store.close();
        if (peer === 'ours-redis-cached') extra = { userCacheTtl: 60_000 };
      }
      return { adapter: ChatBotKitPartnerAdapter({ ...ourOptions(env, extra), store }), close };
    }
    case 'baseline': {
      const { JsBaselineAdapter, ioredisKeyValueStore } =
        await import('../fixtures/js-baseline.mjs');
      const redis = env.redisUrl ? await ioredisClient(env) : null;
      const store = redis ? ioredisKeyValueStore(redis) : null;
      return {
        adapter: JsBaselineAdapter({
          secret: env.partnerSecret,
          baseUrl: env.partnerUrl,
          store,
          autoCreateUser: false,
          autoUpdateUser: true,
        }),
        close: async () => void (await redis?.quit()),
      };
    }
    case 'unstorage': {
      const { UnstorageAdapter } = await import('@auth/unstorage-adapter');
      const { createStorage } = await import('unstorage');
      const { default: redisDriver } = await import('unstorage/drivers/redis');
      const driver = redisDriver({ url: env.redisUrl });
      const storage = createStorage({ driver });
      return {
        adapter: UnstorageAdapter(storage),
        close: async () => storage.dispose(),
        storesUsers: true,
      };
    }
    case 'upstash': {
      const { UpstashRedisAdapter } = await import('@auth/upstash-redis-adapter');
      const { upstashShim } = await import('../fixtures/upstash-shim.mjs');
      const redis = await ioredisClient(env);
      return {
        adapter: UpstashRedisAdapter(upstashShim(redis)),
        close: async () => void (await redis.quit()),
        storesUsers: true,
      };
    }
    default:
      throw new Error(`unknown peer ${peer}`);
  }
}
