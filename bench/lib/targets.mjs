// The targets, as ratios between peers of the same run. The bench
// never fails on a number: this only says met / missed for the report.

/** The peer that stands for this adapter in each workload. */
export const PRIMARY = {
  getUserByEmail: 'ours-memory',
  getUser: 'ours-memory',
  tokenPair: 'ours-redis',
  session: 'ours-redis',
  signIn: 'ours-redis',
};

const AT = 64;

function row(results, workload, peer, concurrency) {
  const group = results.groups.find((g) => g.workload === workload && g.peer === peer);
  return group?.rows.find((r) => r.concurrency === concurrency) ?? null;
}

function ratio(a, b) {
  return a != null && b != null && Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : null;
}

const fmt = (x, digits = 2) => (x == null ? 'n/a' : `${x.toFixed(digits)}×`);
const rate = (r) =>
  r?.throughput == null ? 'n/a' : Math.round(r.throughput).toLocaleString('en-US');

export function evaluateTargets(results) {
  const targets = [];
  const concurrencies = results.settings.concurrencies;
  const at = concurrencies.includes(AT) ? AT : concurrencies.at(-1);

  for (const workload of ['getUserByEmail', 'getUser']) {
    const ours = PRIMARY[workload];
    // CPU per call, at every concurrency.
    const cpu = concurrencies.map((c) => ({
      c,
      r: ratio(
        row(results, workload, ours, c)?.cpuUsPerCall,
        row(results, workload, 'baseline', c)?.cpuUsPerCall,
      ),
    }));
    const cpuKnown = cpu.filter((x) => x.r != null);
    targets.push({
      id: `${workload}-cpu`,
      workload,
      text: `${workload}: client CPU per call ≤ 0.5 × JS baseline (every concurrency)`,
      measured: cpu.map((x) => `c${x.c} ${fmt(x.r)}`).join(', '),
      met: cpuKnown.length ? cpuKnown.every((x) => x.r <= 0.5) : null,
    });

    const oursRow = row(results, workload, ours, at);
    const baseRow = row(results, workload, 'baseline', at);
    const limitRow = row(results, workload, 'limit-http', at);
    const vsBaseline = ratio(oursRow?.throughput, baseRow?.throughput);
    const vsLimit = ratio(oursRow?.throughput, limitRow?.throughput);
    targets.push({
      id: `${workload}-throughput`,
      workload,
      text: `${workload}: throughput at c${at} ≥ 1.5 × JS baseline, or ≥ 0.7 × bare HTTP (autocannon)`,
      measured:
        `${fmt(vsBaseline)} baseline, ${fmt(vsLimit)} autocannon ` +
        `(${rate(oursRow)} vs ${rate(baseRow)} and ${rate(limitRow)} calls/s)`,
      met:
        vsBaseline == null && vsLimit == null
          ? null
          : (vsBaseline ?? 0) >= 1.5 || (vsLimit ?? 0) >= 0.7,
    });
  }

  {
    const ours = row(results, 'tokenPair', 'ours-redis', at);
    const unstorage = row(results, 'tokenPair', 'unstorage', at);
    const redisBench = row(results, 'tokenPair', 'limit-redis', at);
    const vsUnstorage = ratio(ours?.throughput, unstorage?.throughput);
    const vsRedis = ratio(ours?.throughput, redisBench?.throughput);
    targets.push({
      id: 'tokenPair-unstorage',
      workload: 'tokenPair',
      text: `token create+use pairs on RedisStore at c${at} ≥ 2 × @auth/unstorage-adapter`,
      measured: `${fmt(vsUnstorage)} (${rate(ours)} vs ${rate(unstorage)} pairs/s)`,
      met: vsUnstorage == null ? null : vsUnstorage >= 2,
    });
    targets.push({
      id: 'tokenPair-redis-benchmark',
      workload: 'tokenPair',
      text: `token create+use pairs on RedisStore at c${at} ≥ 0.5 × redis-benchmark (same commands)`,
      measured: `${fmt(vsRedis)} (${rate(ours)} vs ${rate(redisBench)} pairs/s)`,
      met: vsRedis == null ? null : vsRedis >= 0.5,
    });
  }

  {
    const parts = [];
    let all = true;
    let any = false;
    for (const workload of ['getUserByEmail', 'getUser', 'tokenPair', 'signIn']) {
      const r = ratio(
        row(results, workload, PRIMARY[workload], at)?.eldP99Ms,
        row(results, workload, 'baseline', at)?.eldP99Ms,
      );
      if (r == null) continue;
      any = true;
      all &&= r <= 0.5;
      const o = row(results, workload, PRIMARY[workload], at).eldP99Ms;
      const b = row(results, workload, 'baseline', at).eldP99Ms;
      parts.push(`${workload} ${fmt(r)} (${o.toFixed(2)} vs ${b.toFixed(2)} ms)`);
    }
    targets.push({
      id: 'eld',
      workload: null,
      text: `event-loop delay p99 at c${at} ≤ 0.5 × JS baseline (every workload the baseline runs)`,
      measured: parts.join(', ') || 'n/a',
      met: any ? all : null,
    });
  }

  {
    const bytes = results.addon?.strippedBytes ?? null;
    targets.push({
      id: 'size',
      workload: null,
      text: 'stripped `.node` ≤ 6 MB',
      measured:
        bytes == null
          ? 'n/a'
          : `${(bytes / 2 ** 20).toFixed(2)} MB (${results.addon.build} build on disk: ${(results.addon.bytes / 2 ** 20).toFixed(2)} MB)`,
      met: bytes == null ? null : bytes <= 6 * 2 ** 20,
    });
  }
  return targets;
}
