// Real redis-server processes for the tests (started by bench/lib/redis.mjs,
// which the bench shares). In CI a missing redis-server fails the run; on a
// developer machine without it the Redis tests are skipped with a visible
// reason.

import { redisAvailable } from '../../bench/lib/redis.mjs';

export { redisAvailable, startRedis, startRedisCluster } from '../../bench/lib/redis.mjs';

/** Options for `test()`/`describe()`: skip without redis-server, except in CI. */
export function redisTestOptions() {
  if (redisAvailable() || process.env.CI) return {};
  return { skip: 'redis-server is not installed (CI installs it; run .ci/run)' };
}
