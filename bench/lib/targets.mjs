// The issues' targets, as ratios between peers of the same run. The bench
// never fails on a number: this only says met / missed for the report.

/** The peer that stands for this adapter in each workload. */
export const PRIMARY = {
  getUserByEmail: 'ours-memory',
  getUser: 'ours-memory',
  tokenPair: 'ours-redis',
  session: 'ours-redis',
  signIn: 'ours-redis',
};

/** How a measured field or a peer is named in the report. */
const NAMES = {
  cpuUsPerCall: 'CPU per call',
  'limit-http': 'autocannon',
  'limit-redis': 'redis-benchmark',
  baseline: 'JS baseline',
};

const UNITS = {
  throughput: (x) => `${Math.round(x).toLocaleString('en-US')}/s`,
  cpuUsPerCall: (x) => `${x.toFixed(1)} µs`,
  p50Ms: (x) => `${x.toFixed(3)} ms`,
  eldP99Ms: (x) => `${x.toFixed(2)} ms`,
};

/**
 * Each target: the comparisons it reads (`field` of `peer` over the same of
 * `other`, in `workload` at concurrency `c`) and `met(ratios)`, a ratio being
 * null where either side was not measured.
 */
function targetList(cs, at) {
  const both = (workload) => ({ workload, peer: PRIMARY[workload] });
  const pairs = { workload: 'tokenPair', other: 'unstorage', field: 'throughput', c: at };
  const all = (ok) => (ratios) => ratios.every((r) => r == null || ok(r));
  return [
    ...['getUserByEmail', 'getUser'].flatMap((workload) => [
      {
        id: `${workload}-cpu`,
        text: `${workload}: client CPU per call ≤ 0.5 × JS baseline (every concurrency)`,
        parts: cs.map((c) => ({ ...both(workload), other: 'baseline', c, field: 'cpuUsPerCall' })),
        met: all((r) => r <= 0.5),
      },
      {
        id: `${workload}-throughput`,
        text: `${workload}: throughput at c${at} ≥ 1.5 × JS baseline, or ≥ 0.7 × bare HTTP (autocannon)`,
        parts: ['baseline', 'limit-http'].map((other) => ({
          ...both(workload),
          other,
          c: at,
          field: 'throughput',
        })),
        met: ([base, http]) => (base ?? 0) >= 1.5 || (http ?? 0) >= 0.7,
      },
    ]),
    {
      id: 'tokenPair-unstorage',
      text: `token create+use pairs on RedisStore at c${at} ≥ 2 × @auth/unstorage-adapter`,
      parts: [{ ...pairs, peer: 'ours-redis' }],
      met: all((r) => r >= 2),
    },
    {
      id: 'tokenPair-redis-benchmark',
      text: `token create+use pairs on RedisStore at c${at} ≥ 0.5 × redis-benchmark (same commands)`,
      parts: [{ ...pairs, peer: 'ours-redis', other: 'limit-redis' }],
      met: all((r) => r >= 0.5),
    },
    {
      id: 'tokenPair-ioredis',
      text: `token pairs via an ioredis client as the store at c${at}: throughput ≥ 1.0 × @auth/unstorage-adapter and client CPU per pair ≤ 1.0 × its`,
      parts: ['throughput', 'cpuUsPerCall'].map((field) => ({
        ...pairs,
        peer: 'ours-ioredis',
        field,
      })),
      met: ([throughput, cpu]) => throughput >= 1 && cpu != null && cpu <= 1,
    },
    {
      id: 'tokenPair-c1-latency',
      text: "token pairs on RedisStore at c1: p50 latency ≤ @auth/unstorage-adapter's",
      parts: [{ ...pairs, peer: 'ours-redis', c: 1, field: 'p50Ms' }],
      met: all((r) => r <= 1),
    },
    {
      id: 'eld',
      text: `event-loop delay p99 at c${at} ≤ 0.5 × JS baseline (every workload the baseline runs)`,
      parts: ['getUserByEmail', 'getUser', 'tokenPair', 'signIn'].map((workload) => ({
        ...both(workload),
        other: 'baseline',
        c: at,
        field: 'eldP99Ms',
      })),
      met: all((r) => r <= 0.5),
    },
  ];
}

/** One comparison: its ratio (null if a side is missing) and "1.23× (a vs b)". */
function compare(results, { workload, peer, other, c, field }) {
  const value = (p) =>
    results.groups
      .find((g) => g.workload === workload && g.peer === p)
      ?.rows.find((r) => r.concurrency === c)?.[field];
  const [a, b] = [value(peer), value(other)];
  if (!Number.isFinite(a) || !Number.isFinite(b) || b <= 0) return { ratio: null, text: 'n/a' };
  return {
    ratio: a / b,
    text: `${(a / b).toFixed(2)}× (${UNITS[field](a)} vs ${UNITS[field](b)})`,
  };
}

export function evaluateTargets(results) {
  const cs = results.settings.concurrencies;
  const at = cs.includes(64) ? 64 : cs.at(-1);
  const targets = targetList(cs, at).map(({ id, text, parts, met }) => {
    // Each part is named by what differs between the parts.
    const name = (part) =>
      ['workload', 'other', 'c', 'field']
        .filter((k) => new Set(parts.map((p) => p[k])).size > 1)
        .map((k) => (k === 'c' ? `c${part.c}` : (NAMES[part[k]] ?? part[k])))
        .join(' ');
    const measured = parts.map((part) => ({ name: name(part), ...compare(results, part) }));
    const ratios = measured.map((m) => m.ratio);
    return {
      id,
      text,
      measured: measured.map((m) => `${m.name} ${m.text}`.trim()).join(', '),
      met: ratios.some((r) => r != null) ? met(ratios) : null,
    };
  });
  const { strippedBytes: bytes, bytes: onDisk, build } = results.addon ?? {};
  const mb = (n) => `${(n / 2 ** 20).toFixed(2)} MB`;
  targets.push({
    id: 'size',
    workload: null,
    text: 'stripped `.node` ≤ 6 MB',
    measured: bytes == null ? 'n/a' : `${mb(bytes)} (${build} build on disk: ${mb(onDisk)})`,
    met: bytes == null ? null : bytes <= 6 * 2 ** 20,
  });
  return targets;
}
