// One cold start, in a fresh process: from the first require/import of the
// adapter's package to the first call answered (a getUser against the fake
// Partner API, connection set-up included). Prints one JSON line.
//
//   node bench/lib/import-time.mjs ours|baseline '{"partnerUrl":…,"partnerSecret":…}'

import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';

const [which, json] = process.argv.slice(2);
const env = JSON.parse(json);
const require = createRequire(import.meta.url);

const t0 = performance.now();
let adapter;
let t1;
if (which === 'ours') {
  const { ChatBotKitPartnerAdapter, MemoryStore } = require('../../index.js');
  t1 = performance.now();
  adapter = ChatBotKitPartnerAdapter({
    secret: env.partnerSecret,
    baseUrl: env.partnerUrl,
    store: new MemoryStore(),
  });
} else {
  const { JsBaselineAdapter, MapStore } = await import('../fixtures/js-baseline.mjs');
  t1 = performance.now();
  adapter = JsBaselineAdapter({
    secret: env.partnerSecret,
    baseUrl: env.partnerUrl,
    store: new MapStore(),
  });
}
const user = await adapter.getUser('usr_bench_0');
const t2 = performance.now();
if (user?.id !== 'usr_bench_0') throw new Error('the first call did not find the user');
process.stdout.write(
  `${JSON.stringify({ which, importMs: t1 - t0, firstCallMs: t2 - t0, rssMB: process.memoryUsage().rss / 2 ** 20 })}\n`,
);
