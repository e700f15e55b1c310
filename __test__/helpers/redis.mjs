// Real redis-server processes for the tests (started by bench/lib/redis.mjs,
// which the bench shares). In CI a missing redis-server fails the run; on a
// developer machine without it the Redis tests are skipped with a visible
// reason.

import { after, before } from 'node:test';
import { redisAvailable, startRedis, startRedisCluster } from '../../bench/lib/redis.mjs';

export { redisAvailable, startRedis, startRedisCluster } from '../../bench/lib/redis.mjs';

/** Options for `test()`/`describe()`: skip without redis-server, except in CI. */
export function redisTestOptions() {
  if (redisAvailable() || process.env.CI) return {};
  return { skip: 'redis-server is not installed (CI installs it; run .ci/run)' };
}

/**
 * A redis-server and a Redis Cluster for the tests of one file, when `wanted`
 * (WITH_REDIS): started before them, closed after. Its `redis` and
 * `cluster` are set once they are up.
 */
export function useRedisAndCluster(wanted) {
  const servers = { redis: null, cluster: null };
  before(async () => {
    if (!wanted) return;
    servers.redis = await startRedis();
    servers.cluster = await startRedisCluster();
  });
  after(async () => {
    await servers.redis?.close();
    await servers.cluster?.close();
  });
  return servers;
}

/** redis-cli prints one item a line; an empty reply is an empty list. */
export const lines = (text) => (text === '' ? [] : text.split('\n'));
