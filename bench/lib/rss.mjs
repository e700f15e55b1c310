// Resident memory with N live database sessions in an in-process store, in a
// fresh process run with --expose-gc. Prints one JSON line.
//
//   node --expose-gc bench/lib/rss.mjs ours|unstorage N '{"partnerUrl":…,"partnerSecret":…}'
//
// ours:      ChatBotKitPartnerAdapter on the native MemoryStore
// unstorage: @auth/unstorage-adapter on unstorage's default memory driver (a JS Map)

import { performance } from 'node:perf_hooks';
import { benchUser } from './users.mjs';

const [which, countText, json] = process.argv.slice(2);
const count = Number(countText);
const env = JSON.parse(json);
const USERS = 512;

function settle() {
  for (let i = 0; i < 3; i++) globalThis.gc?.();
}

let adapter;
let size = () => null;
let storage;
if (which === 'ours') {
  const { ChatBotKitPartnerAdapter, MemoryStore } = await import('../../index.mjs');
  const store = new MemoryStore();
  adapter = ChatBotKitPartnerAdapter({
    secret: env.partnerSecret,
    baseUrl: env.partnerUrl,
    store,
  });
  size = () => store.size;
} else {
  const { UnstorageAdapter } = await import('@auth/unstorage-adapter');
  const { createStorage } = await import('unstorage');
  storage = createStorage();
  adapter = UnstorageAdapter(storage);
  size = () => null;
}

// One session first, so that lazily created state is not counted per session.
const expires = new Date(Date.now() + 30 * 24 * 3600 * 1000);
await adapter.createSession({ sessionToken: 'warm', userId: benchUser(0).id, expires });
await adapter.deleteSession('warm');
settle();
const before = process.memoryUsage();

const t0 = performance.now();
let next = 0;
await Promise.all(
  Array.from({ length: 64 }, async () => {
    while (next < count) {
      const i = next++;
      await adapter.createSession({
        sessionToken: `sess-${i.toString(16).padStart(8, '0')}-${'a'.repeat(24)}`,
        userId: benchUser(i % USERS).id,
        expires,
      });
    }
  }),
);
const createSeconds = (performance.now() - t0) / 1000;
settle();
const after = process.memoryUsage();
const probeToken = `sess-${(7).toString(16).padStart(8, '0')}-${'a'.repeat(24)}`;
const found =
  which === 'ours'
    ? (await adapter.getSessionAndUser(probeToken))?.session?.userId
    : (await storage.getItem(`user:session:${probeToken}`))?.userId;
if (found !== benchUser(7).id) throw new Error('a stored session was not found');

const MB = 2 ** 20;
process.stdout.write(
  `${JSON.stringify({
    which,
    sessions: count,
    rssMB: after.rss / MB,
    rssDeltaMB: (after.rss - before.rss) / MB,
    bytesPerSession: (after.rss - before.rss) / count,
    heapUsedMB: after.heapUsed / MB,
    heapDeltaMB: (after.heapUsed - before.heapUsed) / MB,
    entries: size(),
    createPerSecond: count / createSeconds,
  })}\n`,
);
