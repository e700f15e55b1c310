// Real redis-server processes on free loopback ports, with no persistence:
// the bench's servers and the tests' (__test__/helpers/redis.mjs re-exports
// these, with the tests' skip rule).

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './net.mjs';

export function redisAvailable() {
  return spawnSync('redis-server', ['--version']).status === 0;
}

async function waitForPort(port, deadlineMs = 10000) {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    const ok = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(25);
  }
  throw new Error(`redis-server on port ${port} did not start`);
}

function redisCli(port, ...args) {
  const r = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`redis-cli ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

/**
 * Starts one redis-server. `stop()` kills it, `start()` brings it back on the
 * same port (for restart tests), `flush()` empties it.
 */
export async function startRedis({ port, extraArgs = [] } = {}) {
  port ??= await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nac-redis-'));
  let child = null;
  const handle = {
    port,
    url: `redis://127.0.0.1:${port}`,
    async start() {
      child = spawn(
        'redis-server',
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--save',
          '',
          '--appendonly',
          'no',
          '--dir',
          dir,
          ...extraArgs,
        ],
        { stdio: 'ignore' },
      );
      await waitForPort(port);
    },
    async stop() {
      if (!child) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
      child = null;
    },
    flush() {
      redisCli(port, 'FLUSHALL');
    },
    cli: (...args) => redisCli(port, ...args),
    async close() {
      await handle.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await handle.start();
  return handle;
}

/** A 3-master Redis Cluster on loopback, made with `redis-cli --cluster create`. */
export async function startRedisCluster() {
  const nodes = [];
  for (let i = 0; i < 3; i++) {
    nodes.push(
      await startRedis({
        extraArgs: ['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${i}.conf`],
      }),
    );
  }
  const addresses = nodes.map((n) => `127.0.0.1:${n.port}`);
  const r = spawnSync('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-yes'], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`cluster create failed: ${r.stdout}${r.stderr}`);
  // Wait until every node agrees the cluster is up.
  const until = Date.now() + 15000;
  while (!nodes.every((n) => n.cli('CLUSTER', 'INFO').includes('cluster_state:ok'))) {
    if (Date.now() > until) throw new Error('the cluster did not become ready');
    await sleep(100);
  }
  return {
    nodes,
    urls: nodes.map((n) => n.url),
    async close() {
      for (const n of nodes) await n.close();
    },
  };
}
