// Which Redis commands does one call make through the native RedisStore?
// Asked of the adapter itself at the start of every run (redis-cli MONITOR
// while capture-child.mjs makes one call of each store-bound workload), so
// that the redis-benchmark limit follows the adapter as it changes.
//
// Result: { tokenPair: [roundTrip, ...], session: [...] }, where a round trip
// is a list of commands (several for MULTI ... EXEC), each an argv array in
// which the per-call parts (identifier, token, session token) are replaced
// by redis-benchmark's __rand_int__.

import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const here = path.dirname(fileURLToPath(import.meta.url));
const VARIABLE = [
  'capture-ident%40bench%2Eexample',
  'capture-ident@bench.example',
  'capturetoken',
  'capturesession',
];

/** The quoted arguments of one MONITOR line. */
export function parseMonitorLine(line) {
  const m = /^\d+\.\d+ \[[^\]]*\] (.*)$/.exec(line.trim());
  if (!m) return null;
  const args = [];
  const text = m[1];
  let i = 0;
  while (i < text.length) {
    if (text[i] !== '"') {
      i++;
      continue;
    }
    let arg = '';
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') {
        const next = text[i + 1];
        if (next === 'x') {
          arg += String.fromCharCode(parseInt(text.slice(i + 2, i + 4), 16));
          i += 4;
          continue;
        }
        arg += { n: '\n', r: '\r', t: '\t' }[next] ?? next;
        i += 2;
        continue;
      }
      arg += text[i++];
    }
    i++;
    args.push(arg);
  }
  return args;
}

/** Commands → round trips: MULTI … EXEC is one. */
export function roundTrips(commands) {
  const trips = [];
  let block = null;
  for (const argv of commands) {
    const name = argv[0].toUpperCase();
    if (name === 'MULTI') block = [];
    else if (name === 'EXEC') {
      if (block?.length) trips.push(block);
      block = null;
    } else if (block) block.push(argv);
    else trips.push([argv]);
  }
  return trips;
}

function generalise(argv) {
  return argv.map((arg) => VARIABLE.reduce((a, v) => a.split(v).join('__rand_int__'), arg));
}

export async function captureCommands({ port, env }) {
  const monitor = spawn('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'MONITOR'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let buffer = '';
  monitor.stdout.on('data', (d) => (buffer += d));
  for (let i = 0; i < 100 && !buffer.includes('OK'); i++) await sleep(20);

  const child = spawn(
    process.execPath,
    [path.join(here, 'capture-child.mjs'), JSON.stringify(env)],
    {
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  await new Promise((resolve, reject) => {
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`capture exited ${code}`)),
    );
  });
  for (let i = 0; i < 100 && !buffer.includes('bench-mark:end'); i++) await sleep(20);
  monitor.kill();

  const lines = buffer.split('\n');
  const at = (name) => {
    const i = lines.findIndex((l) => l.includes(`"bench-mark:${name}"`));
    if (i < 0) throw new Error(`MONITOR did not show the ${name} marker`);
    return i + 1;
  };
  // Commands a Lua script runs show up as `[0 lua]`: they are not round trips.
  const section = (from, to) =>
    lines
      .slice(at(from), at(to) - 1)
      .filter((line) => !/^\d+\.\d+ \[\d+ lua\]/.test(line.trim()))
      .map(parseMonitorLine)
      .filter((argv) => argv && argv.length && !/^(info|ping|client|hello|select)$/i.test(argv[0]))
      .map(generalise);
  return {
    tokenPair: roundTrips(section('tokenPair', 'sessionSetup')),
    session: roundTrips(section('session', 'end')),
  };
}
