// The closed-loop load generator every peer is driven by: `concurrency`
// workers, each awaiting one call after another, for a fixed window. Per-call
// latency goes into an HDR histogram (perf_hooks.createHistogram, ns), the
// main thread's event-loop delay is sampled with monitorEventLoopDelay, and
// CPU time comes from process.cpuUsage() deltas (user + system of the whole
// process, so every thread: libuv's pool, the addon's tokio workers, ...).
//
// Throughput counts the calls that completed inside the window; calls still
// in flight when it closes are awaited (their latency and CPU are kept) but do
// not count towards throughput, so the drain does not bias it. When fewer
// than `minCalls` completed in the window (slow calls at high concurrency),
// the window is stretched until `minCalls` have.

import { createHistogram, monitorEventLoopDelay, performance } from 'node:perf_hooks';

/** Sampling interval of the event-loop delay monitor, ms. */
export const ELD_RESOLUTION_MS = 1;

/**
 * The same loop for `ms`, nothing recorded; every worker completes at least
 * one call. Errors are ignored here (they are counted in measured windows).
 */
export async function warmUp({ call, concurrency, ms, seq }) {
  const counter = seq ?? { next: 0 };
  const until = performance.now() + ms;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      do {
        try {
          await call(counter.next++);
        } catch {
          // counted in measured windows only
        }
      } while (performance.now() < until);
    }),
  );
}

/**
 * Runs `call(seq)` in a closed loop. `seq` is a global sequence number (0, 1,
 * 2, ...) that callers use to pick distinct users, tokens, sessions.
 *
 * Returns { concurrency, calls, errors, firstError, seconds, throughput,
 *           p50Ms, p99Ms, meanMs, eldP99Ms, eldMaxMs, cpuUsPerCall }.
 */
export async function drive({ call, concurrency, durationMs, warmupMs = 0, minCalls = 0, seq }) {
  const counter = seq ?? { next: 0 };

  if (warmupMs > 0) await warmUp({ call, concurrency, ms: warmupMs, seq: counter });

  const latency = createHistogram({ lowest: 1, highest: 120e9, figures: 3 });
  const eld = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
  let errors = 0;
  let firstError = null;
  let inWindow = 0;
  let completed = 0;

  if (globalThis.gc) globalThis.gc();
  eld.enable();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let windowEnd = t0 + durationMs;
  // Stretching the window for `minCalls` has a limit (a peer that only fails).
  const hardStop = t0 + durationMs * 5 + 5000;

  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const now = performance.now();
        if (now >= windowEnd && (inWindow >= minCalls || now >= hardStop)) break;
        const start = performance.now();
        let ok = true;
        try {
          await call(counter.next++);
        } catch (e) {
          ok = false;
          errors++;
          firstError ??= String(e?.stack ?? e)
            .split('\n')
            .slice(0, 3)
            .join(' | ');
        }
        const end = performance.now();
        latency.record(Math.max(1, Math.round((end - start) * 1e6)));
        completed++;
        if (!ok) continue;
        if (end <= windowEnd) inWindow++;
        else if (inWindow < minCalls && end < hardStop) {
          windowEnd = end;
          inWindow++;
        }
      }
    }),
  );

  const cpu = process.cpuUsage(cpu0);
  eld.disable();
  const seconds = (windowEnd - t0) / 1000;
  const eldP99 = eld.count > 0 ? eld.percentile(99) / 1e6 - ELD_RESOLUTION_MS : NaN;
  const eldMax = eld.count > 0 ? eld.max / 1e6 - ELD_RESOLUTION_MS : NaN;
  return {
    concurrency,
    calls: inWindow,
    completed,
    errors,
    firstError,
    seconds,
    throughput: inWindow / seconds,
    p50Ms: latency.percentile(50) / 1e6,
    p99Ms: latency.percentile(99) / 1e6,
    meanMs: latency.mean / 1e6,
    eldP99Ms: Math.max(0, eldP99),
    eldMaxMs: Math.max(0, eldMax),
    cpuUsPerCall: completed > 0 ? (cpu.user + cpu.system) / completed : NaN,
  };
}
