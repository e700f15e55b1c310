// The bench is not a test — it never fails on a number — but its --smoke mode
// runs here so that it cannot rot: every workload, peer, limit and extra runs
// for a few milliseconds, every call's answer is checked, and the report is
// written to a temp dir (never to BENCHMARKS.md).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { redisTestOptions } from './helpers/redis.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function fingerprint(file) {
  return existsSync(file)
    ? `${statSync(file).mtimeMs}:${readFileSync(file, 'utf8').length}`
    : 'absent';
}

function run(args) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bench/run.mjs', ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

test(
  'npm run bench -- --smoke completes and reports every workload',
  { ...redisTestOptions(), timeout: 120_000 },
  async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'nac-bench-test-'));
    const canonical = [
      path.join(root, 'BENCHMARKS.md'),
      path.join(root, 'bench', 'throughput.svg'),
    ];
    const before = canonical.map(fingerprint);
    try {
      const { code, stdout, stderr } = await run(['--smoke', '--out', out, '--json']);
      assert.equal(code, 0, `bench --smoke failed:\n${stderr}`);
      const results = JSON.parse(stdout.trim().split('\n').at(-1));

      assert.equal(results.mode, 'smoke');
      assert.deepEqual(results.failures, [], 'no peer failed');
      const workloads = new Set(results.groups.map((g) => g.workload));
      for (const w of ['getUserByEmail', 'getUser', 'tokenPair', 'session', 'signIn']) {
        assert.ok(workloads.has(w), `workload ${w} ran`);
      }
      const peers = new Set(results.groups.map((g) => g.peer));
      for (const p of [
        'ours-memory',
        'ours-redis',
        'ours-ioredis',
        'baseline',
        'unstorage',
        'upstash',
        'limit-http',
        'limit-redis',
      ]) {
        assert.ok(peers.has(p), `peer ${p} ran`);
      }
      for (const g of results.groups) {
        assert.ok(g.rows.length > 0, `${g.workload}/${g.peer} has rows`);
        for (const r of g.rows) {
          const where = `${g.workload}/${g.peer} c${r.concurrency}`;
          assert.equal(r.errors, 0, `${where}: no errors (${r.firstError ?? ''})`);
          assert.ok(r.throughput > 0 && Number.isFinite(r.throughput), `${where}: throughput`);
          // autocannon reports whole milliseconds: its p50 may be 0.
          assert.ok(r.p50Ms >= 0 && r.p99Ms >= r.p50Ms, `${where}: latency percentiles`);
          if (!g.peer.startsWith('limit-')) {
            assert.ok(r.p50Ms > 0, `${where}: p50 latency`);
            assert.ok(r.cpuUsPerCall > 0, `${where}: CPU per call`);
            assert.ok(r.eldP99Ms >= 0, `${where}: event-loop delay`);
          }
        }
      }
      // The Partner-bound calls make exactly one Partner API request each.
      for (const g of results.groups.filter(
        (x) => x.workload === 'getUser' && x.peer !== 'limit-http',
      )) {
        assert.equal(g.partnerRequestsPerCall, 1, `${g.peer}: one request per getUser`);
      }
      assert.ok(results.extras.importTime.ours.firstCallMs > 0);
      assert.ok(results.extras.importTime.baseline.firstCallMs > 0);
      assert.ok(results.extras.rss.ours.rssMB > 0);
      assert.ok(results.addon.bytes > 0);
      assert.ok(results.targets.length >= 5);

      // Outputs went to the temp dir, not to the repository.
      const md = readFileSync(path.join(out, 'BENCHMARKS.md'), 'utf8');
      assert.match(md, /^# Benchmarks/);
      assert.match(md, /Smoke run/);
      assert.match(md, /getSessionAndUser/);
      const svg = readFileSync(path.join(out, 'throughput.svg'), 'utf8');
      assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      assert.match(svg, /<polyline|<circle/);
      assert.deepEqual(
        canonical.map(fingerprint),
        before,
        'BENCHMARKS.md and bench/throughput.svg untouched',
      );
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  },
);
