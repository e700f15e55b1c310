#!/usr/bin/env node
// npm run bench — this adapter against what users would otherwise pick, in
// one run, on one machine, driven by one closed-loop load generator.
//
//   node bench/run.mjs            full run (≈ 10 min), writes BENCHMARKS.md + bench/throughput.svg
//   node bench/run.mjs --quick    short windows (< 2 min), same outputs, labelled "quick"
//   node bench/run.mjs --smoke    seconds; every code path, tiny windows, writes to a temp dir
//
// Options: --out DIR (write the report, chart and JSON there instead),
//          --addon FILE (the .node to measure; default: the one at the package
//          root, or NAPI_RS_NATIVE_LIBRARY_PATH when set),
//          --only w1,w2 (workloads, and `extras`), --peers p1,p2 (filters; a
//          filtered run never overwrites BENCHMARKS.md), --json (print the
//          results JSON on stdout), --render FILE (rewrite the report of an
//          earlier run's JSON, e.g. after editing bench/notes.md).
//
// Processes: the fake Partner API and redis-server each run in their own
// process; every (workload, peer) is measured in a fresh forked client
// process (in --smoke, in this process), one after another, never two at once.

import { fork, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { startRedis, redisAvailable } from './lib/redis.mjs';
import { WORKLOADS, WORKLOAD_ORDER } from './lib/workloads.mjs';
import { redisLimit } from './lib/redis-limit.mjs';
import { captureCommands } from './lib/capture.mjs';
import { renderMarkdown } from './lib/report.mjs';
import { renderSvg } from './lib/svg.mjs';
import { evaluateTargets } from './lib/targets.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');

// --- options --------------------------------------------------------------

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
function option(name) {
  const i = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return undefined;
  const a = argv[i];
  return a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[i + 1];
}

const mode = flag('smoke') ? 'smoke' : flag('quick') ? 'quick' : 'full';
const MODES = {
  smoke: {
    concurrencies: [4],
    durationMs: 60,
    warmupMs: 15,
    groupWarmupMs: 20,
    minCallsPerWorker: 1,
    users: 64,
    sessions: 64,
    rssSessions: 2000,
    importRepeats: 1,
    redisBenchMs: 40,
    inProcess: true,
  },
  quick: {
    concurrencies: [1, 16, 64, 256],
    durationMs: 500,
    warmupMs: 100,
    groupWarmupMs: 250,
    minCallsPerWorker: 2,
    users: 512,
    sessions: 1024,
    rssSessions: 100_000,
    importRepeats: 3,
    redisBenchMs: 150,
    inProcess: false,
  },
  full: {
    concurrencies: [1, 16, 64, 256],
    durationMs: 5000,
    warmupMs: 1000,
    groupWarmupMs: 2000,
    minCallsPerWorker: 4,
    users: 512,
    sessions: 1024,
    rssSessions: 100_000,
    importRepeats: 10,
    redisBenchMs: 2000,
    inProcess: false,
  },
};
const settings = MODES[mode];
const only = option('only')?.split(',').filter(Boolean);
const peersFilter = option('peers')?.split(',').filter(Boolean);
const filtered = Boolean(only || peersFilter);
for (const w of only ?? [])
  if (!WORKLOADS[w] && w !== 'extras') throw new Error(`unknown workload ${w}`);

// Where the outputs go. BENCHMARKS.md and bench/throughput.svg are written
// only by complete quick/full runs without --out.
const outOption = option('out');
const canonical = mode !== 'smoke' && !filtered && !outOption;
const outDir = outOption
  ? path.resolve(outOption)
  : mode === 'smoke'
    ? mkdtempSync(path.join(os.tmpdir(), 'nac-bench-'))
    : path.join(here, 'results');
mkdirSync(outDir, { recursive: true });

const log = (text) => process.stderr.write(`${text}\n`);

// --- facts ----------------------------------------------------------------

function sh(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: root });
  return r.status === 0 ? r.stdout.trim() : null;
}

// The addon measured is a private copy taken at the start, loaded by every
// client process through NAPI_RS_NATIVE_LIBRARY_PATH (binding.js honours it),
// so a rebuild of the package's .node during the run cannot mix builds.
function snapshotAddon() {
  const source = path.resolve(
    option('addon') ??
      process.env.NAPI_RS_NATIVE_LIBRARY_PATH ??
      path.join(root, 'nextauth-chatbotkit.linux-x64-gnu.node'),
  );
  if (!existsSync(source)) throw new Error(`no addon at ${source}: run npm run build first`);
  const copy = path.join(mkdtempSync(path.join(os.tmpdir(), 'nac-addon-')), path.basename(source));
  copyFileSync(source, copy);
  process.env.NAPI_RS_NATIVE_LIBRARY_PATH = copy;
  return { source, copy };
}

function addonFacts({ source, copy }) {
  const bytes = statSync(copy).size;
  const sha256 = createHash('sha256').update(readFileSync(copy)).digest('hex').slice(0, 16);
  const sections = sh('readelf', ['-S', '-W', copy]) ?? '';
  const debugInfo = sections.includes('.debug_info');
  const symtab = sections.includes('.symtab');
  let strippedBytes = null;
  const tmp = path.join(path.dirname(copy), 'stripped.node');
  if (spawnSync('strip', ['--strip-all', '-o', tmp, copy]).status === 0) {
    strippedBytes = statSync(tmp).size;
  }
  const loader = readFileSync(path.join(root, 'binding.js'), 'utf8');
  return {
    file: path.relative(root, source).startsWith('..') ? source : path.relative(root, source),
    sha256,
    bytes,
    strippedBytes,
    debugInfo,
    symtab,
    // A release build (profile.release: strip = "symbols") has neither.
    build: debugInfo ? 'debug' : 'release',
    loaderFindsRoot: loader.includes('nextauth-chatbotkit.linux-x64-gnu.node'),
  };
}

function machineFacts() {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    cpu: cpus[0]?.model?.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    redis: sh('redis-server', ['--version'])?.match(/v=([\d.]+)/)?.[1] ?? null,
    loadAverage: os.loadavg(),
    commit: sh('git', ['rev-parse', '--short', 'HEAD']),
    dirty: Boolean(sh('git', ['status', '--porcelain', '--untracked-files=no'])),
    packages: Object.fromEntries(
      [
        '@auth/core',
        '@auth/unstorage-adapter',
        '@auth/upstash-redis-adapter',
        '@chatbotkit/sdk',
        'unstorage',
        'ioredis',
        'autocannon',
      ].map((name) => {
        try {
          const json = readFileSync(path.join(root, 'node_modules', name, 'package.json'), 'utf8');
          return [name, JSON.parse(json).version];
        } catch {
          return [name, null];
        }
      }),
    ),
  };
}

// --- the fake Partner API, in its own process -------------------------------

async function startPartner(users) {
  const child = fork(path.join(here, 'lib', 'partner-child.mjs'), [String(users)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`fake Partner API exited (${code})`)));
    child.once('message', resolve);
  });
  let nextId = 0;
  const waiting = new Map();
  child.on('message', (m) => {
    if (m?.type === 'requests') {
      waiting.get(m.id)?.(m.served);
      waiting.delete(m.id);
    }
  });
  return {
    url: ready.url,
    secret: ready.secret,
    pid: child.pid,
    requests: () =>
      new Promise((resolve) => {
        const id = nextId++;
        waiting.set(id, resolve);
        child.send({ type: 'requests', id });
      }),
    close: () =>
      new Promise((resolve) => {
        child.removeAllListeners('exit');
        child.once('exit', resolve);
        child.send({ type: 'close' });
      }),
  };
}

// --- one group (workload × peer) -------------------------------------------

async function runGroupInChild(spec, env, partner) {
  const child = fork(path.join(here, 'lib', 'worker.mjs'), ['--child'], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: ['--expose-gc'],
  });
  return new Promise((resolve, reject) => {
    let settled = false;
    child.on('message', async (m) => {
      if (m?.type === 'ready') {
        child.send({ type: 'run', spec, env, countPartnerRequests: true });
      } else if (m?.type === 'partner-requests') {
        child.send({ type: 'answer', id: m.id, value: await partner.requests() });
      } else if (m?.type === 'result') {
        settled = true;
        resolve(m.result);
      } else if (m?.type === 'failed') {
        settled = true;
        reject(new Error(m.error));
      }
    });
    child.on('exit', (code) => {
      if (!settled) reject(new Error(`worker exited with code ${code} before answering`));
    });
  });
}

async function runGroup(spec, env, partner) {
  if (settings.inProcess) {
    const { runGroup: inProcess } = await import('./lib/worker.mjs');
    return inProcess(spec, env, { partnerRequests: partner.requests });
  }
  return runGroupInChild(spec, env, partner);
}

function runJsonChild(args, execArgv = []) {
  const r = spawnSync(process.execPath, [...execArgv, ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (r.status !== 0) throw new Error(`${args[0]} failed: ${r.stderr || r.stdout}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1));
}

const median = (values) => {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// --- main ----------------------------------------------------------------

/** BENCHMARKS.md + the chart, from one run's results. */
function writeReport(results, toCanonical) {
  const svgFile = toCanonical
    ? path.join(here, 'throughput.svg')
    : path.join(outDir, 'throughput.svg');
  writeFileSync(svgFile, renderSvg(results));
  const notesFile = path.join(here, 'notes.md');
  const notes = existsSync(notesFile) ? readFileSync(notesFile, 'utf8') : '';
  const mdFile = toCanonical
    ? path.join(root, 'BENCHMARKS.md')
    : path.join(outDir, 'BENCHMARKS.md');
  const chartRef = toCanonical
    ? 'bench/throughput.svg'
    : path.relative(path.dirname(mdFile), svgFile);
  writeFileSync(mdFile, renderMarkdown(results, { chart: chartRef, notes }));
  return { mdFile, svgFile };
}

async function main() {
  const started = performance.now();
  const render = option('render');
  if (render) {
    // Re-render the report of an earlier run (e.g. after editing bench/notes.md).
    const results = JSON.parse(readFileSync(render, 'utf8'));
    results.targets = evaluateTargets(results);
    const toCanonical = results.mode !== 'smoke' && !results.filtered && !outOption;
    const { mdFile, svgFile } = writeReport(results, toCanonical);
    log(`rendered ${render} → ${mdFile}, ${svgFile}`);
    return;
  }
  if (!redisAvailable())
    throw new Error('redis-server is not installed (apt-get install redis-server)');
  const facts = {
    mode,
    filtered,
    settings,
    machine: machineFacts(),
    addon: addonFacts(snapshotAddon()),
  };
  log(
    `bench --${mode}: ${facts.machine.cores} × ${facts.machine.cpu}, load ${facts.machine.loadAverage
      .map((l) => l.toFixed(2))
      .join(' ')}, addon ${facts.addon.build} ${(facts.addon.bytes / 2 ** 20).toFixed(1)} MB`,
  );

  const partner = await startPartner(settings.users);
  const redis = await startRedis();
  const env = { partnerUrl: partner.url, partnerSecret: partner.secret, redisUrl: redis.url };
  const groups = [];
  const failures = [];

  try {
    // What one call sends to Redis through RedisStore, for the redis-benchmark limit.
    let trips = null;
    try {
      trips = await captureCommands({ port: redis.port, env });
      facts.redisCommands = trips;
    } catch (e) {
      failures.push({ workload: 'capture', peer: 'ours-redis', error: String(e?.message ?? e) });
    }

    for (const workloadName of WORKLOAD_ORDER) {
      if (only && !only.includes(workloadName)) continue;
      const workload = WORKLOADS[workloadName];
      const peers = [...workload.peers, ...(workload.limit ? [workload.limit] : [])].filter(
        (p) => !peersFilter || peersFilter.includes(p),
      );
      for (const peer of peers) {
        redis.flush();
        const t0 = performance.now();
        try {
          let result;
          if (peer === 'limit-redis') {
            result = await redisLimit({
              port: redis.port,
              workload: workloadName,
              trips: trips?.[workloadName]?.length ? trips[workloadName] : undefined,
              concurrencies: settings.concurrencies,
              durationMs: settings.redisBenchMs,
              flush: () => redis.flush(),
            });
          } else {
            const spec = {
              workload: workloadName,
              peer,
              concurrencies: settings.concurrencies,
              durationMs: settings.durationMs,
              warmupMs: settings.warmupMs,
              groupWarmupMs: settings.groupWarmupMs,
              minCallsPerWorker: settings.minCallsPerWorker,
              users: settings.users,
              sessions: settings.sessions,
            };
            result = await runGroup(spec, env, partner);
          }
          groups.push(result);
          const summary = result.rows
            .map(
              (r) =>
                `c${r.concurrency} ${Math.round(r.throughput)}/s${r.errors ? ` (${r.errors} errors)` : ''}`,
            )
            .join(', ');
          log(
            `  ${workloadName} · ${peer}: ${summary}  [${((performance.now() - t0) / 1000).toFixed(1)} s]`,
          );
        } catch (e) {
          failures.push({ workload: workloadName, peer, error: String(e?.message ?? e) });
          log(`  ${workloadName} · ${peer}: FAILED ${String(e?.message ?? e).split('\n')[0]}`);
        }
      }
    }

    // Extras: cold start, memory.
    const extras = { importTime: {}, rss: {} };
    if (!peersFilter && (!only || only.includes('extras'))) {
      const envJson = JSON.stringify({ partnerUrl: partner.url, partnerSecret: partner.secret });
      for (const which of ['ours', 'baseline']) {
        try {
          const runs = Array.from({ length: settings.importRepeats }, () =>
            runJsonChild([path.join(here, 'lib', 'import-time.mjs'), which, envJson]),
          );
          extras.importTime[which] = {
            importMs: median(runs.map((r) => r.importMs)),
            firstCallMs: median(runs.map((r) => r.firstCallMs)),
            rssMB: median(runs.map((r) => r.rssMB)),
            repeats: runs.length,
          };
        } catch (e) {
          failures.push({ workload: 'importTime', peer: which, error: String(e.message) });
        }
      }
      for (const which of ['ours', 'unstorage']) {
        try {
          extras.rss[which] = runJsonChild(
            [path.join(here, 'lib', 'rss.mjs'), which, String(settings.rssSessions), envJson],
            ['--expose-gc'],
          );
        } catch (e) {
          failures.push({ workload: 'rss', peer: which, error: String(e.message) });
        }
      }
      log(
        `  extras: import→first call ours ${extras.importTime.ours?.firstCallMs?.toFixed(1)} ms, ` +
          `baseline ${extras.importTime.baseline?.firstCallMs?.toFixed(1)} ms; ` +
          `RSS with ${settings.rssSessions} sessions ours ${extras.rss.ours?.rssMB?.toFixed(1)} MB, ` +
          `unstorage ${extras.rss.unstorage?.rssMB?.toFixed(1)} MB`,
      );
    }

    facts.machine.loadAverageAtEnd = os.loadavg();
    facts.seconds = (performance.now() - started) / 1000;
    const results = { ...facts, groups, extras, failures };
    results.targets = evaluateTargets(results);

    const stamp = facts.machine.date.replace(/[:.]/g, '-');
    const jsonFile = path.join(outDir, `${mode}-${stamp}.json`);
    writeFileSync(jsonFile, `${JSON.stringify(results, null, 2)}\n`);
    const { mdFile, svgFile } = writeReport(results, canonical);
    log(
      `wrote ${path.relative(root, mdFile) || mdFile}, ${svgFile}, ${jsonFile} in ${facts.seconds.toFixed(1)} s`,
    );
    if (flag('json'))
      process.stdout.write(
        `${JSON.stringify({ ...results, files: { md: mdFile, svg: svgFile, json: jsonFile } })}\n`,
      );
    else
      process.stdout.write(
        `${JSON.stringify({ mode, files: { md: mdFile, svg: svgFile, json: jsonFile }, failures: failures.length, seconds: facts.seconds })}\n`,
      );
  } finally {
    await partner.close();
    await redis.close();
  }
}

main().catch((e) => {
  process.stderr.write(`bench failed: ${e?.stack ?? e}\n`);
  process.exitCode = 1;
});
