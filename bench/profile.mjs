#!/usr/bin/env node
// One workload × one peer × one concurrency, for profiling: the fake Partner
// API and redis-server run in their own processes, the client (this process)
// runs the closed loop for `seconds` and prints the driver's numbers.
//
//   node bench/profile.mjs tokenPair ours-redis 64 5
//   perf record -F 999 -g -o /tmp/perf.data -- node --perf-basic-prof bench/profile.mjs getUser ours-memory 64 5
//   perf stat -e task-clock,context-switches,cpu-migrations -- node bench/profile.mjs ...
//
// Workloads and peers: see bench/lib/workloads.mjs and bench/lib/peers.mjs.

import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRedis } from './lib/redis.mjs';
import { drive, warmUp } from './lib/driver.mjs';
import { makeAdapter } from './lib/peers.mjs';
import { WORKLOADS } from './lib/workloads.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const [workloadName = 'tokenPair', peer = 'ours-redis', c = '64', s = '5'] = process.argv.slice(2);
const workload = WORKLOADS[workloadName];
if (!workload) throw new Error(`unknown workload ${workloadName}`);

const partnerChild = fork(path.join(here, 'lib', 'partner-child.mjs'), ['512'], {
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
const ready = await new Promise((resolve) => partnerChild.once('message', resolve));
const redis = await startRedis();
const env = { partnerUrl: ready.url, partnerSecret: ready.secret, redisUrl: redis.url };
try {
  const { adapter, close, storesUsers } = await makeAdapter(peer, env);
  const call = await workload.prepare(adapter, { users: 512, sessions: 1024, storesUsers });
  const seq = { next: 0 };
  await warmUp({ call, concurrency: Number(c), ms: 500, seq });
  process.stderr.write(
    `profiling ${workloadName} · ${peer} · c${c} for ${s} s (pid ${process.pid})\n`,
  );
  const row = await drive({ call, concurrency: Number(c), durationMs: Number(s) * 1000, seq });
  console.log(JSON.stringify(row));
  await close();
} finally {
  partnerChild.send({ type: 'close' });
  await redis.close();
}
