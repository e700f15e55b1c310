// Run by capture.mjs while redis-cli MONITOR listens: one call of each
// store-bound workload through the native RedisStore, with an `ECHO` marker
// (on a second connection, after the call completed) between them, so the
// parent can tell which Redis commands each call made: MONITOR shows
// commands in the order the server ran them.

import Redis from 'ioredis';
import { ChatBotKitPartnerAdapter, RedisStore } from '../../index.mjs';

const env = JSON.parse(process.argv[2]);
const store = new RedisStore({ url: env.redisUrl });
const adapter = ChatBotKitPartnerAdapter({
  secret: env.partnerSecret,
  baseUrl: env.partnerUrl,
  store,
});

const marker = new Redis(env.redisUrl);
const mark = (name) => marker.echo(`bench-mark:${name}`);

const expires = new Date(Date.now() + 15 * 60 * 1000);
// First contact (connection set-up) outside any marked section, and one
// unmarked token use so Redis has the adapter's script cached: the marked
// calls then show what every later call sends (EVALSHA, not SCRIPT LOAD).
await adapter.getSessionAndUser('capture-none');
await adapter.useVerificationToken({ identifier: 'warm-up@bench.example', token: 'warm-up' });

await mark('tokenPair');
await adapter.createVerificationToken({
  identifier: 'capture-ident@bench.example',
  token: 'capturetoken',
  expires,
});
await adapter.useVerificationToken({
  identifier: 'capture-ident@bench.example',
  token: 'capturetoken',
});
await mark('sessionSetup');
await adapter.createSession({ sessionToken: 'capturesession', userId: 'usr_bench_0', expires });
await mark('session');
await adapter.getSessionAndUser('capturesession');
await mark('end');
store.close();
await marker.quit();
