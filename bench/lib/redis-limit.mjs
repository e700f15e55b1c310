// The Redis limit: redis-benchmark (its own process, in C) for the commands
// one call of a workload makes through the native RedisStore, at the same
// concurrency N: N connections with one command in flight each (`-c N`, the
// reference the targets use), and, for information, one connection with N
// commands pipelined (`-c 1 -P N`): the server's capacity when the client is
// free, which no real client reaches. Multiplexing clients (ioredis,
// RedisStore's one shared connection) sit in between: they pipeline whatever
// is in flight, so they can beat `-c N`. A call that makes several round
// trips is bounded by their sum: calls/s = 1 / Σ(1 / rps of each round trip),
// latency percentiles ≈ the sum of theirs.

import { spawn } from 'node:child_process';

const TOKEN_JSON = JSON.stringify({
  expires: { $date: 1_900_000_000_000 },
  identifier: 'pair-run-1@bench.example',
  token: 'f'.repeat(64),
});

/**
 * Fallback round trips (as seen with MONITOR when this was written), used
 * only when the capture at the start of the run fails. Each round trip is a
 * list of commands; `__rand_int__` makes each key distinct.
 */
export const DEFAULT_TRIPS = {
  tokenPair: [
    [
      ['SET', 'verification:{pair%40bench%2Eexample}:__rand_int__', TOKEN_JSON, 'PX', '900000'],
      ['SADD', 'verification-tokens:{pair__rand_int__}', 'verification:{pair}:__rand_int__'],
      ['PEXPIRE', 'verification-tokens:{pair__rand_int__}', '900000'],
    ],
    [['GETDEL', 'verification:{pair%40bench%2Eexample}:__rand_int__']],
    [['DEL', 'verification-failures:{pair__rand_int__}']],
  ],
  session: [[['GET', 'session:sess-__rand_int__']]],
};

/** "MULTI SET SADD PEXPIRE EXEC (benchmarked as SET), GETDEL, DEL" */
export function describeTrips(trips) {
  return trips
    .map((trip) =>
      trip.length === 1
        ? `\`${trip[0][0]}\``
        : `\`MULTI ${trip.map((c) => c[0]).join(' ')} EXEC\` (benchmarked as \`${trip[0][0]}\`)`,
    )
    .join(', ');
}

function runBenchmark(port, concurrency, requests, command, pipelined = false) {
  const args = [
    '-h',
    '127.0.0.1',
    '-p',
    String(port),
    '-c',
    String(pipelined ? 1 : concurrency),
    ...(pipelined ? ['-P', String(concurrency)] : []),
    '-n',
    String(requests),
    '-r',
    '1000000',
    '--csv',
    ...command,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('redis-benchmark', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      // rps is "inf" when a run is too short for the clock; measure() retries longer.
      const m =
        /"([\d.]+|inf)","([\d.]+)","([\d.]+)","([\d.]+)","([\d.]+)","([\d.]+)","([\d.]+)"\s*$/.exec(
          line,
        );
      if (code !== 0 || !m) {
        reject(new Error(`redis-benchmark ${command[0]} failed (${code}): ${err || out}`));
        return;
      }
      const [rps, avg, , p50, , p99] = m.slice(1).map((x) => (x === 'inf' ? Infinity : Number(x)));
      resolve({ command: command[0], rps, avgMs: avg, p50Ms: p50, p99Ms: p99 });
    });
  });
}

async function measure(port, concurrency, durationMs, command, pipelined) {
  // A probe run estimates the rate, then a run of about durationMs; a run too
  // short for redis-benchmark's clock (rps "inf") is repeated 20 times longer.
  let requests = Math.max(500, concurrency * (pipelined ? 100 : 8));
  let probe = await runBenchmark(port, concurrency, requests, command, pipelined);
  for (let i = 0; i < 3 && !Number.isFinite(probe.rps); i++) {
    requests *= 20;
    probe = await runBenchmark(port, concurrency, requests, command, pipelined);
  }
  requests = Math.max(requests, Math.round((probe.rps * durationMs) / 1000));
  let result = await runBenchmark(port, concurrency, requests, command, pipelined);
  for (let i = 0; i < 3 && !Number.isFinite(result.rps); i++) {
    requests *= 20;
    result = await runBenchmark(port, concurrency, requests, command, pipelined);
  }
  return result;
}

function compose(perCommand) {
  const sum = (f) => perCommand.reduce((s, r) => s + f(r), 0);
  return {
    throughput: 1 / sum((r) => 1 / r.rps),
    p50Ms: sum((r) => r.p50Ms),
    p99Ms: sum((r) => r.p99Ms),
    meanMs: sum((r) => r.avgMs),
  };
}

/** Rows like the driver's, one per concurrency, for `workload`. */
export async function redisLimit({ port, workload, trips, concurrencies, durationMs, flush }) {
  trips ??= DEFAULT_TRIPS[workload];
  // One command per round trip: redis-benchmark sends one command per request.
  const commands = trips.map((trip) => trip[0]);
  const rows = [];
  for (const concurrency of concurrencies) {
    const ways = { connections: [], pipelined: [] };
    for (const command of commands) {
      ways.connections.push(await measure(port, concurrency, durationMs, command, false));
      if (concurrency > 1)
        ways.pipelined.push(await measure(port, concurrency, durationMs, command, true));
    }
    flush?.();
    const connections = compose(ways.connections);
    const pipelined = ways.pipelined.length ? compose(ways.pipelined) : null;
    rows.push({
      concurrency,
      ...connections,
      eldP99Ms: null,
      cpuUsPerCall: null,
      errors: 0,
      connections: { throughput: connections.throughput, commands: ways.connections },
      pipelined: pipelined && { throughput: pipelined.throughput, commands: ways.pipelined },
    });
  }
  return {
    workload,
    peer: 'limit-redis',
    describe: `${describeTrips(trips)} — ${trips.length} round trip${trips.length === 1 ? '' : 's'} per call`,
    trips,
    rows,
  };
}
