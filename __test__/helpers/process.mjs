import { spawn } from 'node:child_process';

/**
 * Runs `script` (an ES module) in a fresh Node; gives its exit code, signal,
 * output and time. Killed after `limitMs`, so a process that never exits by
 * itself shows as a signal, not a hung suite.
 */
export async function runScript(script, { limitMs = 15_000 } = {}) {
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (d) => (output += d));
  child.stderr.setEncoding('utf8').on('data', (d) => (output += d));
  const started = performance.now();
  const killer = setTimeout(() => child.kill('SIGKILL'), limitMs);
  const [code, signal] = await new Promise((resolve) =>
    child.on('close', (c, s) => resolve([c, s])),
  );
  clearTimeout(killer);
  return { code, signal, output, ms: performance.now() - started };
}

/**
 * Starts `n` calls whose answers all arrive while this thread is busy, so
 * they are all waiting when the event loop next turns. Gives the answers and
 * how many settled in each turn of the event loop.
 */
export async function burst(n, call, busyMs) {
  const perTurn = new Map();
  let turn = 0;
  const calls = Array.from({ length: n }, async (_, i) => {
    const answer = await call(i);
    perTurn.set(turn, (perTurn.get(turn) ?? 0) + 1);
    return answer;
  });
  const busyUntil = performance.now() + busyMs;
  while (performance.now() < busyUntil);
  let bursting = true;
  const countTurns = () => {
    turn++;
    if (bursting) setImmediate(countTurns);
  };
  setImmediate(countTurns);
  try {
    return { answers: await Promise.all(calls), perTurn: [...perTurn.values()] };
  } finally {
    bursting = false;
  }
}
