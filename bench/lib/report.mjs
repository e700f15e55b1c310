// BENCHMARKS.md from one run's results (the prose that does not change from
// run to run, the method included, is bench/notes.md, appended at the end).

import { PEERS } from './peers.mjs';
import { WORKLOADS, WORKLOAD_ORDER } from './workloads.mjs';
import { PRIMARY } from './targets.mjs';

const known = (x) => x != null && Number.isFinite(x);
const num = (x, digits = 0) =>
  known(x)
    ? x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
    : 'n/a';
const ms = (x) => (known(x) ? x.toFixed(x < 1 ? 3 : x < 10 ? 2 : 1) : '—');
// autocannon reports whole milliseconds.
const latency = (peer, x) => (peer === 'limit-http' && x === 0 ? '< 1' : ms(x));
const mb = (bytes) => (bytes == null ? 'n/a' : `${(bytes / 2 ** 20).toFixed(2)} MB`);
const label = (peer) => PEERS[peer]?.label ?? peer;

/** A markdown table ("a | b | c" heads, rows of cells): the first column left-aligned. */
function table(head, rows) {
  const heads = typeof head === 'string' ? head.split(' | ') : head;
  const rule = heads.map((_, i) => (i ? '---:' : '---'));
  return [heads, rule, ...rows].map((r) => `| ${r.join(' | ')} |`);
}

const BANNERS = {
  quick: (s) =>
    `> **Quick run** (\`npm run bench -- --quick\`): ${s.durationMs} ms measured per concurrency after a ` +
    `${s.warmupMs} ms warm-up. Indicative only — short windows, and the machine may have been busy ` +
    '(load average below). `npm run bench` (the full run, 5000 ms windows) is the one to publish.',
  smoke: () =>
    '> **Smoke run**: tiny windows, only proves the harness works. These numbers mean nothing.',
  full: (s) =>
    `> **Full run** (\`npm run bench\`): ${s.durationMs} ms measured per concurrency after a ${s.warmupMs} ms warm-up.`,
};

function machineSection({ machine: m, addon: a = {}, seconds }) {
  const load = (l) => (l ? l.map((x) => x.toFixed(2)).join(' / ') : 'n/a');
  const versions = Object.entries(m.packages).map(([k, v]) => `${k} ${v ?? '?'}`);
  return [
    '| | |',
    '| --- | --- |',
    `| date | ${m.date} |`,
    `| machine | ${m.cores} × ${m.cpu}, ${m.memoryGB} GB RAM, ${m.os} |`,
    `| load average (1/5/15 min) | start ${load(m.loadAverage)}, end ${load(m.loadAverageAtEnd)} |`,
    `| Node.js | ${m.node} |`,
    `| redis-server | ${m.redis ?? 'n/a'} |`,
    `| commit | ${m.commit ?? 'n/a'}${m.dirty ? ' (with uncommitted changes)' : ''} |`,
    `| addon | \`${a.file ?? 'missing'}\` (sha256 ${a.sha256 ?? '?'}…), ${a.build ?? '?'} build, ${mb(a.bytes)}, ${mb(a.strippedBytes)} stripped; every client loaded this one copy |`,
    `| peers' versions | ${versions.join(', ')} |`,
    `| run time | ${seconds?.toFixed(0)} s |`,
  ];
}

function workloadSection(results, workload) {
  const meta = WORKLOADS[workload];
  const groups = results.groups.filter((g) => g.workload === workload);
  const failures = results.failures.filter((f) => f.workload === workload);
  if (!groups.length && !failures.length) return [];
  const cs = results.settings.concurrencies;
  const limit = groups.find((g) => g.peer === 'limit-redis');

  // Summary: throughput per concurrency, the targets' row in bold.
  const summary = groups.map((g) => {
    const bold = g.peer === PRIMARY[workload] ? '**' : '';
    const cells = cs.map((c) => {
      const r = g.rows.find((x) => x.concurrency === c);
      return r
        ? `${bold}${num(r.throughput)}${bold}${r.errors ? ` (${r.errors} err)` : ''}`
        : 'n/a';
    });
    const reqs =
      g.partnerRequestsPerCall == null || g === limit ? '—' : num(g.partnerRequestsPerCall, 2);
    return [label(g.peer), ...cells, reqs];
  });
  for (const [peer, why] of Object.entries(meta.na ?? {}))
    summary.push([label(peer), ...cs.map(() => 'n/a'), why]);
  for (const f of failures)
    summary.push([label(f.peer), `failed: ${f.error.split('\n')[0].slice(0, 200)}`]);

  // Details: every row.
  const details = groups.flatMap((g) =>
    g.rows.map((r) => [
      PEERS[g.peer]?.short ?? g.peer,
      r.concurrency,
      num(r.throughput),
      latency(g.peer, r.p50Ms),
      latency(g.peer, r.p99Ms),
      ms(r.eldP99Ms),
      r.cpuUsPerCall == null ? '—' : num(r.cpuUsPerCall, 1),
    ]),
  );
  const errors = groups.flatMap((g) =>
    g.rows
      .filter((r) => r.firstError)
      .map((r) => `- \`${g.peer} c${r.concurrency}: ${r.firstError.slice(0, 280)}\``),
  );
  return [
    `### ${meta.title}`,
    '',
    `One call: ${meta.describe}. Bound by: ${meta.bound}.`,
    '',
    ...table(
      ['peer', ...cs.map((c) => `c${c} ${meta.unit}`), 'Partner API requests / call'],
      summary,
    ),
    ...(limit
      ? [
          '',
          `What one call sends to Redis through RedisStore (captured with MONITOR at the start of this run): ${limit.describe}.`,
        ]
      : []),
    '',
    '<details><summary>latency, event-loop delay, CPU per call</summary>',
    '',
    ...table(
      'peer | c | throughput | p50 ms | p99 ms | event-loop delay p99 ms | CPU µs / call',
      details,
    ),
    ...(errors.length ? ['', 'First errors:', '', ...errors] : []),
    '',
    '</details>',
    '',
  ];
}

function extrasSection({ extras: { importTime = {}, rss = {} } = {}, settings }) {
  const start = [
    ['ours', 'nextauth-chatbotkit (`require`)'],
    ['baseline', 'JS baseline (`import`, @chatbotkit/sdk)'],
  ].map(([which, name]) => {
    const t = importTime[which];
    return t
      ? [name, `${ms(t.importMs)} ms`, `${ms(t.firstCallMs)} ms`, `${t.rssMB.toFixed(1)} MB`]
      : [name, 'n/a', 'n/a', 'n/a'];
  });
  const memory = [
    ['ours', 'nextauth-chatbotkit · native MemoryStore'],
    ['unstorage', '@auth/unstorage-adapter · unstorage memory driver'],
  ].map(([which, name]) => {
    const r = rss[which];
    if (!r) return [name, 'n/a', '', '', '', ''];
    const mbs = [r.rssMB, r.rssDeltaMB].map((x) => `${x.toFixed(1)} MB`);
    return [
      name,
      ...mbs,
      `${num(r.bytesPerSession)} B`,
      `${r.heapDeltaMB.toFixed(1)} MB`,
      num(r.createPerSecond),
    ];
  });
  return [
    '## Cold start and memory',
    '',
    ...table(' | import / require | import → first call answered | RSS after', start),
    '',
    `Median of ${importTime.ours?.repeats ?? 0} fresh processes each; the first call is a \`getUser\` ` +
      'against the fake Partner API (connection set-up included), on a MemoryStore / Map store.',
    '',
    ...table(
      `${num(settings.rssSessions)} live database sessions | RSS | RSS growth | per session | JS heap growth | createSession/s`,
      memory,
    ),
    '',
    'Fresh process, `--expose-gc`, GC before and after; sessions belong to 512 users; ours also keeps ' +
      'the per-user session index the unstorage adapter does not have.',
    '',
  ];
}

export function renderMarkdown(results, { chart, notes }) {
  const met = (t) => (t.met == null ? 'n/a' : t.met ? '✅ yes' : '❌ no');
  const lines = [
    '# Benchmarks',
    '',
    BANNERS[results.mode](results.settings),
    '',
    '<!-- generated by bench/run.mjs — edit bench/lib/report.mjs or bench/notes.md, not this file -->',
    '',
    ...machineSection(results),
    '',
    '```sh',
    'npm run bench            # full run, ≈ 10 minutes; writes BENCHMARKS.md and bench/throughput.svg',
    'npm run bench -- --quick # the same in < 2 minutes, labelled "quick"',
    'npm run bench -- --smoke # seconds, output to a temp dir (what `npm test` runs)',
    '```',
    '',
    '## Targets',
    '',
    'Ratios between peers measured in this same run (the bench never fails on a number).',
    '',
    '| target | measured (this run) | met |',
    '| --- | --- | --- |',
    ...results.targets.map((t) => `| ${t.text} | ${t.measured} | ${met(t)} |`),
    '',
    `![throughput against concurrency](${chart})`,
    '',
    '## Results',
    '',
    'Bold: the row the targets use for this adapter. c = concurrency (closed-loop workers).',
    '',
    ...WORKLOAD_ORDER.flatMap((w) => workloadSection(results, w)),
    ...extrasSection(results),
  ];
  if (results.failures.length) {
    lines.push(
      '## Failures',
      '',
      ...results.failures.map((f) => `- ${f.workload} · ${f.peer}: \`${f.error.split('\n')[0]}\``),
      '',
    );
  }
  if (notes?.trim()) lines.push(notes.trim(), '');
  return `${lines.join('\n')}\n`;
}
