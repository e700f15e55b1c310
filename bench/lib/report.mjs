// BENCHMARKS.md from one run's results.

import { PEERS } from './peers.mjs';
import { WORKLOADS, WORKLOAD_ORDER } from './workloads.mjs';
import { PRIMARY } from './targets.mjs';

const num = (x, digits = 0) =>
  x == null || !Number.isFinite(x)
    ? 'n/a'
    : x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ms = (x) =>
  x == null || !Number.isFinite(x)
    ? '—'
    : x < 1
      ? x.toFixed(3)
      : x < 10
        ? x.toFixed(2)
        : x.toFixed(1);
// autocannon reports whole milliseconds.
const latency = (peer, x) => (peer === 'limit-http' && x === 0 ? '< 1' : ms(x));
const mb = (bytes) => (bytes == null ? 'n/a' : `${(bytes / 2 ** 20).toFixed(2)} MB`);
const label = (peer) => PEERS[peer]?.label ?? peer;

function modeBanner(results) {
  const s = results.settings;
  if (results.mode === 'quick') {
    return (
      `> **Quick run** (\`npm run bench -- --quick\`): ${s.durationMs} ms measured per ` +
      `concurrency after a ${s.warmupMs} ms warm-up. Indicative only — short windows, ` +
      `and the machine may have been busy (load average below). \`npm run bench\` (the full ` +
      `run, ${5000} ms windows) is the one to publish.`
    );
  }
  if (results.mode === 'smoke') {
    return '> **Smoke run**: tiny windows, only proves the harness works. These numbers mean nothing.';
  }
  return `> **Full run** (\`npm run bench\`): ${s.durationMs} ms measured per concurrency after a ${s.warmupMs} ms warm-up.`;
}

function machineSection(results) {
  const m = results.machine;
  const a = results.addon ?? {};
  const load = (l) => (l ? l.map((x) => x.toFixed(2)).join(' / ') : 'n/a');
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
    `| peers' versions | ${Object.entries(m.packages)
      .map(([k, v]) => `${k} ${v ?? '?'}`)
      .join(', ')} |`,
    `| run time | ${results.seconds?.toFixed(0)} s |`,
  ].join('\n');
}

function targetsSection(results) {
  const lines = ['| target | measured (this run) | met |', '| --- | --- | --- |'];
  for (const t of results.targets) {
    lines.push(
      `| ${t.text} | ${t.measured} | ${t.met == null ? 'n/a' : t.met ? '✅ yes' : '❌ no'} |`,
    );
  }
  return lines.join('\n');
}

function workloadSection(results, workload) {
  const meta = WORKLOADS[workload];
  const groups = results.groups.filter((g) => g.workload === workload);
  const failures = results.failures.filter((f) => f.workload === workload);
  if (!groups.length && !failures.length) return null;
  const concurrencies = results.settings.concurrencies;
  const out = [`### ${meta.title}`, '', `One call: ${meta.describe}. Bound by: ${meta.bound}.`, ''];

  // Summary: throughput per concurrency.
  out.push(
    `| peer | ${concurrencies.map((c) => `c${c} ${meta.unit}`).join(' | ')} | Partner API requests / call |`,
    `| --- | ${concurrencies.map(() => '---:').join(' | ')} | ---: |`,
  );
  for (const g of groups) {
    const cells = concurrencies.map((c) => {
      const r = g.rows.find((x) => x.concurrency === c);
      if (!r) return 'n/a';
      const err = r.errors ? ` (${r.errors} err)` : '';
      const bold = g.peer === PRIMARY[workload] ? '**' : '';
      return `${bold}${num(r.throughput)}${bold}${err}`;
    });
    const reqs = g.partnerRequestsPerCall == null ? '—' : num(g.partnerRequestsPerCall, 2);
    out.push(
      `| ${label(g.peer)} | ${cells.join(' | ')} | ${g.peer === 'limit-redis' ? '—' : reqs} |`,
    );
  }
  for (const [peer, why] of Object.entries(meta.na ?? {})) {
    out.push(`| ${label(peer)} | ${concurrencies.map(() => 'n/a').join(' | ')} | ${why} |`);
  }
  for (const f of failures) {
    out.push(`| ${label(f.peer)} | failed: ${f.error.split('\n')[0].slice(0, 200)} |`);
  }
  const limit = groups.find((g) => g.peer === 'limit-redis');
  if (limit) {
    out.push(
      '',
      `What one call sends to Redis through RedisStore (captured with MONITOR at the start of this run): ${limit.describe}.`,
    );
  }

  // Details: every row.
  out.push(
    '',
    '<details><summary>latency, event-loop delay, CPU per call</summary>',
    '',
    '| peer | c | throughput | p50 ms | p99 ms | event-loop delay p99 ms | CPU µs / call | calls | errors |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const g of groups) {
    for (const r of g.rows) {
      out.push(
        `| ${PEERS[g.peer]?.short ?? g.peer} | ${r.concurrency} | ${num(r.throughput)} | ${latency(g.peer, r.p50Ms)} | ${latency(g.peer, r.p99Ms)} | ${r.eldP99Ms == null ? '—' : ms(r.eldP99Ms)} | ${r.cpuUsPerCall == null ? '—' : num(r.cpuUsPerCall, 1)} | ${r.calls ?? '—'} | ${r.errors ?? 0} |`,
      );
    }
  }
  const errors = groups.flatMap((g) =>
    g.rows.filter((r) => r.firstError).map((r) => `${g.peer} c${r.concurrency}: ${r.firstError}`),
  );
  if (errors.length)
    out.push('', 'First errors:', '', ...errors.map((e) => `- \`${e.slice(0, 300)}\``));
  if (limit) {
    out.push(
      '',
      'redis-benchmark, rps per command (N connections | 1 connection × N pipelined):',
      '',
    );
    for (const r of limit.rows) {
      const list = (way) =>
        way?.commands.map((c) => `${c.command} ${num(c.rps)}`).join(', ') ?? '—';
      out.push(
        `- c${r.concurrency}: ${list(r.connections)} → ${num(r.connections?.throughput)} calls/s | ` +
          `${list(r.pipelined)} → ${num(r.pipelined?.throughput)} calls/s`,
      );
    }
  }
  out.push('', '</details>', '');
  return out.join('\n');
}

function extrasSection(results) {
  const { importTime = {}, rss = {} } = results.extras ?? {};
  const a = results.addon ?? {};
  const out = ['## Cold start, size, memory', ''];
  out.push(
    '| | import / require | import → first call answered | RSS after |',
    '| --- | ---: | ---: | ---: |',
  );
  for (const [which, name] of [
    ['ours', 'nextauth-chatbotkit (`require`)'],
    ['baseline', 'JS baseline (`import`, @chatbotkit/sdk)'],
  ]) {
    const t = importTime[which];
    out.push(
      t
        ? `| ${name} | ${ms(t.importMs)} ms | ${ms(t.firstCallMs)} ms | ${t.rssMB.toFixed(1)} MB |`
        : `| ${name} | n/a | n/a | n/a |`,
    );
  }
  out.push(
    '',
    `Median of ${importTime.ours?.repeats ?? 0} fresh processes each; the first call is a \`getUser\` ` +
      'against the fake Partner API (connection set-up included), on a MemoryStore / Map store.',
    '',
    `The addon: \`${a.file ?? 'missing'}\` is ${mb(a.bytes)} on disk (${a.build} build${a.debugInfo ? ', with debug info' : ''}), ` +
      `${mb(a.strippedBytes)} after \`strip --strip-all\`.`,
    '',
    `| ${num(results.settings.rssSessions)} live database sessions | RSS | RSS growth | per session | JS heap growth | createSession/s |`,
    '| --- | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const [which, name] of [
    ['ours', 'nextauth-chatbotkit · native MemoryStore'],
    ['unstorage', '@auth/unstorage-adapter · unstorage memory driver'],
  ]) {
    const r = rss[which];
    out.push(
      r
        ? `| ${name} | ${r.rssMB.toFixed(1)} MB | ${r.rssDeltaMB.toFixed(1)} MB | ${num(r.bytesPerSession)} B | ${r.heapDeltaMB.toFixed(1)} MB | ${num(r.createPerSecond)} |`
        : `| ${name} | n/a | | | | |`,
    );
  }
  out.push(
    '',
    'Fresh process, `--expose-gc`, GC before and after; sessions belong to 512 users; ours also keeps ' +
      'the per-user session index the unstorage adapter does not have.',
  );
  return out.join('\n');
}

const METHOD = `## Method

- **One load generator** for every adapter peer (\`bench/lib/driver.mjs\`): a closed loop of
  N workers, each awaiting one call after another, for a fixed window after a warm-up.
  Latency per call goes into \`perf_hooks.createHistogram\`; the main thread's event-loop delay
  is sampled by \`monitorEventLoopDelay\` (1 ms resolution; the table shows p99 beyond the
  1 ms interval); CPU per call is the \`process.cpuUsage()\` delta (user + system of the whole
  client process, every thread: libuv, undici, the addon's tokio workers) over the calls.
  Throughput counts calls completed inside the window (stretched at high concurrency until
  every worker finished at least a few calls). Every call checks its answer.
- **Separate processes**: the fake Partner API (\`nextauth-chatbotkit/testing\`, its request log
  emptied as it goes) and redis-server each run in their own process; each (workload, peer) is
  measured in a fresh forked client process, one after another — never two at once. Redis is
  flushed between peers. On a 2-core machine the server processes compete with the client for
  the same cores, which is why CPU per call (client only) is the most machine-independent column.
- **Limits**: autocannon (a bare HTTP/1.1 client in its own process, the same endpoint, as
  many keep-alive connections as the concurrency) for the Partner-bound calls — it reports
  latency in whole milliseconds, hence the coarse percentiles; redis-benchmark for the
  store-bound ones: the commands one call sends through RedisStore (captured with MONITOR at
  the start of the run), at the same concurrency N over N connections (\`-c N\`). A call
  made of several round trips is bounded by 1 / Σ(1 / rps of each). This is a reference more
  than a ceiling: multiplexing clients (ioredis, RedisStore) pipeline what is in flight on one
  connection and can beat it; the details also show \`-c 1 -P N\` (N pipelined on one
  connection), the server's capacity when the client costs nothing.
- **JS baseline** (\`bench/fixtures/js-baseline.mjs\`): the original \`@chatbotkit/nextauth\`
  adapter's logic over \`@chatbotkit/sdk\`'s \`PartnerUserClient\` (its own fetch, retry and timeout
  layers; \`fetchFn\` only strips the \`/api\` prefix the SDK keeps for hosts other than
  api.chatbotkit.com), tokens in an ioredis-backed \`{ get, set, del }\` store as the original
  expected. It cannot do database sessions (the original throws), so it has no
  getSessionAndUser row.
- **@auth/upstash-redis-adapter** needs an Upstash REST endpoint, which does not exist
  locally (and the bench uses no network). Its unmodified code runs over
  \`bench/fixtures/upstash-shim.mjs\`: the \`get\` / \`set\` / \`del\` it calls, with @upstash/redis's
  JSON deserialisation, sent over RESP with ioredis. Same keys and commands; no HTTPS per
  command, so its numbers here are an upper bound of what it does against Upstash.
- **One build**: the \`.node\` is copied when the run starts and every client process loads
  that copy (\`NAPI_RS_NATIVE_LIBRARY_PATH\`, which binding.js honours), so a rebuild during
  the run cannot mix builds; its sha256 is in the table at the top.
- **Users**: the Partner-bound workloads and sign-ins use 512 existing partner users, a
  different one per in-flight call (ours shares concurrent identical lookups; distinct users
  keep that from flattering it). No user cache unless the row says so.
`;

export function renderMarkdown(results, { chart, notes }) {
  const sections = [
    '# Benchmarks',
    '',
    modeBanner(results),
    '',
    '<!-- generated by bench/run.mjs — edit bench/lib/report.mjs or bench/notes.md, not this file -->',
    '',
    machineSection(results),
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
    targetsSection(results),
    '',
    `![throughput against concurrency](${chart})`,
    '',
    '## Results',
    '',
    'Bold: the row the targets use for this adapter. c = concurrency (closed-loop workers).',
    '',
  ];
  for (const w of WORKLOAD_ORDER) {
    const s = workloadSection(results, w);
    if (s) sections.push(s);
  }
  sections.push(extrasSection(results), '', METHOD);
  if (results.failures.length) {
    sections.push(
      '## Failures',
      '',
      ...results.failures.map((f) => `- ${f.workload} · ${f.peer}: \`${f.error.split('\n')[0]}\``),
      '',
    );
  }
  if (notes?.trim()) sections.push(notes.trim(), '');
  return `${sections.join('\n')}\n`;
}
