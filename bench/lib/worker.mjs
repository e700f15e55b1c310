// One measured client: one peer on one workload, at each concurrency in turn.
// run.mjs forks this file per (workload, peer) so that every peer starts from
// a fresh process (its own heap, JIT and connection pools) and its
// process.cpuUsage() holds only its own work; in --smoke mode run.mjs calls
// runGroup() in-process instead, for speed.

import { performance } from 'node:perf_hooks';
import { drive, warmUp } from './driver.mjs';
import { makeAdapter } from './peers.mjs';
import { WORKLOADS } from './workloads.mjs';

const PROBE_CALLS = 16;

/**
 * spec: { workload, peer, concurrencies, durationMs, warmupMs, groupWarmupMs,
 *         minCallsPerWorker, users, sessions }
 * env:  { partnerUrl, partnerSecret, redisUrl }
 * hooks.partnerRequests(): requests the fake Partner API has served so far.
 */
export async function runGroup(spec, env, hooks = {}) {
  if (spec.peer === 'limit-http') return runHttpLimit(spec, env);
  const workload = WORKLOADS[spec.workload];
  const started = performance.now();
  const { adapter, close, storesUsers } = await makeAdapter(spec.peer, env);
  try {
    const call = await workload.prepare(adapter, {
      users: spec.users,
      sessions: spec.sessions,
      storesUsers: Boolean(storesUsers),
    });
    const seq = { next: 0 };
    await warmUp({ call, concurrency: 16, ms: spec.groupWarmupMs, seq });

    // Partner API requests per call, from a few sequential calls.
    let partnerRequestsPerCall = null;
    if (hooks.partnerRequests) {
      const before = await hooks.partnerRequests();
      for (let i = 0; i < PROBE_CALLS; i++) await call(seq.next++);
      partnerRequestsPerCall = ((await hooks.partnerRequests()) - before) / PROBE_CALLS;
    }

    const rows = [];
    for (const concurrency of spec.concurrencies) {
      rows.push(
        await drive({
          call,
          concurrency,
          durationMs: spec.durationMs,
          warmupMs: spec.warmupMs,
          minCalls: concurrency * spec.minCallsPerWorker,
          seq,
        }),
      );
    }
    return {
      workload: spec.workload,
      peer: spec.peer,
      partnerRequestsPerCall,
      rows,
      groupSeconds: (performance.now() - started) / 1000,
    };
  } finally {
    await close();
  }
}

/** The bare HTTP limit: autocannon on the endpoint the workload calls. */
async function runHttpLimit(spec, env) {
  const { default: autocannon } = await import('autocannon');
  const workload = WORKLOADS[spec.workload];
  const started = performance.now();
  let next = 0;
  const run = (connections, ms) =>
    autocannon({
      url: env.partnerUrl,
      connections,
      duration: ms / 1000,
      // autocannon checks for the end of a run at each sample tick (1 s by
      // default): 50 ms ticks keep short runs short.
      sampleInt: 50,
      headers: { authorization: `Bearer ${env.partnerSecret}` },
      requests: [
        {
          method: 'GET',
          setupRequest: (request) => ({ ...request, path: workload.httpPath(next++, spec.users) }),
        },
      ],
    });
  await run(16, spec.groupWarmupMs);
  const rows = [];
  for (const concurrency of spec.concurrencies) {
    if (spec.warmupMs > 0) await run(concurrency, spec.warmupMs);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const result = await run(concurrency, spec.durationMs);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const ok = result['2xx'];
    rows.push({
      concurrency,
      calls: ok,
      completed: result.requests.total,
      errors: result.errors + result.timeouts + result.non2xx,
      firstError: result.non2xx ? `${result.non2xx} non-2xx answers` : null,
      seconds,
      throughput: ok / seconds,
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      meanMs: result.latency.average,
      eldP99Ms: null,
      eldMaxMs: null,
      cpuUsPerCall: (cpu.user + cpu.system) / Math.max(1, result.requests.total),
    });
  }
  return {
    workload: spec.workload,
    peer: spec.peer,
    partnerRequestsPerCall: 1,
    rows,
    groupSeconds: (performance.now() - started) / 1000,
  };
}

// --- as a forked child ----------------------------------------------------

if (process.argv.includes('--child') && process.send) {
  const pending = new Map();
  let nextId = 0;
  const ask = (type) =>
    new Promise((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      process.send({ type, id });
    });
  process.on('message', async (message) => {
    if (message?.type === 'answer') {
      pending.get(message.id)?.(message.value);
      pending.delete(message.id);
      return;
    }
    if (message?.type !== 'run') return;
    try {
      const result = await runGroup(message.spec, message.env, {
        partnerRequests: message.countPartnerRequests ? () => ask('partner-requests') : null,
      });
      process.send({ type: 'result', result }, () => process.exit(0));
    } catch (e) {
      process.send({ type: 'failed', error: String(e?.stack ?? e) }, () => process.exit(1));
    }
  });
  process.send({ type: 'ready' });
}
