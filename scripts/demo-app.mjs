// npm run demo:app: the example Next.js app (examples/nextjs) on the packed
// package, with no secret and no network beyond the npm registry.
//
//   1. packs the two tarballs into dist/ (scripts/pack.mjs), when the package changed;
//   2. installs the example (`npm install` in examples/nextjs), when needed;
//   3. builds it (`next build`), when its sources changed;
//   4. starts the fake ChatBotKit Partner API (unless CHATBOTKIT_API_SECRET is set)
//      and the fake OAuth provider (examples/nextjs/fake-oauth.mjs);
//   5. starts the app (`next start`) and prints its URL.
//
// Sign-in codes appear in this terminal and at /dev/outbox. Ctrl-C stops everything.
//
// Environment: PORT (default 3000, else a free port), HOST (default 127.0.0.1),
// CHATBOTKIT_API_SECRET / CHATBOTKIT_API_URL (the real API instead of the fake),
// REDIS_URL (RedisStore instead of MemoryStore), AUTO_CREATE_USER (default true
// here), AUTH_SECRET (default: random per run), DEMO_APP_DEV=1 (`next dev`
// instead of build + start).
//
// The e2e test imports prepareExample / startFakes / startApp from here.

import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { pack, root, NODE_FILE, PLATFORM_DIR } from './pack.mjs';
import { startFakePartnerApi } from '../testing/index.mjs';

export const exampleDir = path.join(root, 'examples', 'nextjs');
export const distDir = path.join(root, 'dist');
/** The `next` CLI installed in an app directory. */
export const nextBinIn = (dir) => path.join(dir, 'node_modules', 'next', 'dist', 'bin', 'next');
const nextBin = nextBinIn(exampleDir);
const installStamp = path.join(exampleDir, 'node_modules', '.nextauth-chatbotkit-demo.json');
const buildStamp = path.join(exampleDir, '.next', 'nextauth-chatbotkit-demo.json');

const sha256 = (data) => createHash('sha256').update(data).digest('hex');
const hashFile = async (file) => sha256(await readFile(file));

async function readJson(file) {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch {
    return null;
  }
}

/** Every file under `dir` (absolute paths), skipping `skip` directory names. */
async function walk(dir, skip = new Set()) {
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (skip.has(entry.name)) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(full, skip)));
    else out.push(full);
  }
  return out;
}

/** The environment for npm and Next children: none of an outer npm's settings. */
export function childEnv(extra = {}) {
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    if (/^npm_(config|package|lifecycle)_/i.test(name) || name === 'NODE_TEST_CONTEXT') {
      delete env[name];
    }
  }
  return { NEXT_TELEMETRY_DISABLED: '1', ...env, ...extra };
}

export function run(command, args, { cwd, log, env } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: env ?? childEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (chunk) => {
      output += chunk;
      if (log) for (const line of String(chunk).split('\n')) if (line.trim()) log(`  ${line}`);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve(output);
      else reject(new Error(`${command} ${args.join(' ')} failed (${signal ?? code}):\n${output}`));
    });
  });
}

/** The paths the tarballs get (from the versions in the two package.json files). */
function tarballPaths() {
  const main = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  const platform = JSON.parse(readFileSync(path.join(PLATFORM_DIR, 'package.json'), 'utf8'));
  return {
    main: path.join(distDir, `${main.name}-${main.version}.tgz`),
    platform: path.join(distDir, `${platform.name}-${platform.version}.tgz`),
  };
}

/** Whether a tarball is older than any file that goes into it. */
async function stale(tarball, inputs) {
  let built;
  try {
    built = (await stat(tarball)).mtimeMs;
  } catch {
    return true;
  }
  for (const input of inputs) {
    try {
      if ((await stat(input)).mtimeMs > built) return true;
    } catch {
      return true;
    }
  }
  return false;
}

/** Packs into dist/ unless both tarballs are newer than what goes into them. */
export async function packIfNeeded({ log, force } = {}) {
  const paths = tarballPaths();
  const manifest = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8'));
  const mainInputs = [path.join(root, 'package.json'), path.join(root, 'README.md')];
  for (const entry of manifest.files ?? []) {
    const full = path.join(root, entry);
    if (!existsSync(full)) continue;
    if ((await stat(full)).isDirectory()) mainInputs.push(...(await walk(full)));
    else mainInputs.push(full);
  }
  const platformInputs = [path.join(root, NODE_FILE), path.join(PLATFORM_DIR, 'package.json')];
  if (
    !force &&
    !(await stale(paths.main, mainInputs)) &&
    !(await stale(paths.platform, platformInputs))
  ) {
    log?.(`tarballs in ${path.relative(root, distDir)}/ are up to date`);
    return paths;
  }
  log?.('packing (scripts/pack.mjs)');
  const packed = await pack(distDir);
  for (const kind of ['main', 'platform']) {
    if (packed[kind] !== paths[kind]) {
      throw new Error(`pack produced ${packed[kind]}, expected ${paths[kind]}`);
    }
  }
  return paths;
}

/** Installs the example's dependencies when they or the tarballs changed. */
async function installIfNeeded(tarballs, { log }) {
  const manifest = JSON.parse(await readFile(path.join(exampleDir, 'package.json'), 'utf8'));
  for (const [kind, file] of Object.entries(tarballs)) {
    const name = kind === 'main' ? 'nextauth-chatbotkit' : 'nextauth-chatbotkit-linux-x64-gnu';
    const want = `file:${path.relative(exampleDir, file).split(path.sep).join('/')}`;
    if (manifest.dependencies?.[name] !== want) {
      throw new Error(
        `examples/nextjs/package.json must depend on "${name}": "${want}" (it says ${JSON.stringify(manifest.dependencies?.[name])})`,
      );
    }
  }
  const want = {
    packageJson: await hashFile(path.join(exampleDir, 'package.json')),
    main: await hashFile(tarballs.main),
    platform: await hashFile(tarballs.platform),
  };
  const have = await readJson(installStamp);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const flags = ['--no-package-lock', '--no-audit', '--no-fund', '--loglevel=error'];
  const installed = existsSync(nextBin);
  if (!installed || have?.packageJson !== want.packageJson) {
    log?.('npm install in examples/nextjs');
    await run(npm, ['install', ...flags], { cwd: exampleDir });
  } else if (have.main !== want.main || have.platform !== want.platform) {
    // npm keeps an installed file: tarball even when the tarball changed.
    log?.('npm install in examples/nextjs (the tarballs changed)');
    await run(npm, ['install', '--no-save', ...flags, tarballs.main, tarballs.platform], {
      cwd: exampleDir,
    });
  } else {
    log?.('examples/nextjs dependencies are up to date');
    return;
  }
  await writeFile(installStamp, JSON.stringify(want, null, 2));
}

/** A hash of what `next build` reads (the addon is external: not part of the build). */
async function sourceHash() {
  const files = (await walk(exampleDir, new Set(['node_modules', '.next'])))
    .filter((file) => !/\.(tgz|log)$/.test(file))
    .sort();
  const hash = createHash('sha256');
  for (const file of files) {
    hash.update(path.relative(exampleDir, file));
    hash.update(await readFile(file));
  }
  const next = await readJson(path.join(exampleDir, 'node_modules', 'next', 'package.json'));
  hash.update(`next@${next?.version}`);
  return hash.digest('hex');
}

async function buildIfNeeded({ log, force }) {
  const want = await sourceHash();
  const have = await readJson(buildStamp);
  if (!force && have?.sources === want && existsSync(path.join(exampleDir, '.next', 'BUILD_ID'))) {
    log?.('examples/nextjs build is up to date');
    return;
  }
  log?.('next build');
  const started = performance.now();
  await run(process.execPath, [nextBin, 'build'], { cwd: exampleDir });
  log?.(`  built in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  await mkdir(path.dirname(buildStamp), { recursive: true });
  await writeFile(buildStamp, JSON.stringify({ sources: want }, null, 2));
}

/**
 * Packs, installs and (unless `dev`) builds the example, each only when needed.
 * Resolves to the tarball paths.
 */
export async function prepareExample({ log, dev = false, force = false } = {}) {
  const tarballs = await packIfNeeded({ log, force });
  await installIfNeeded(tarballs, { log });
  if (!dev) await buildIfNeeded({ log, force });
  return tarballs;
}

/** A free TCP port on `host`. */
export function freePort(host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function portIsFree(port, host) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/**
 * The fake Partner API (unless `partner: false`) and the fake OAuth provider.
 * `{ partner, oauth, env, close() }`, `env` being what the app needs to use them.
 */
export async function startFakes({ partner = true, oauth = true } = {}) {
  const { startFakeOAuth } = await import(
    pathToFileURL(path.join(exampleDir, 'fake-oauth.mjs')).href
  );
  const fakePartner = partner ? await startFakePartnerApi() : null;
  const fakeOAuth = oauth ? await startFakeOAuth() : null;
  return {
    partner: fakePartner,
    oauth: fakeOAuth,
    env: {
      ...(fakePartner
        ? { CHATBOTKIT_API_SECRET: fakePartner.secret, CHATBOTKIT_API_URL: fakePartner.url }
        : {}),
      ...(fakeOAuth ? fakeOAuth.env : {}),
    },
    close: () => Promise.all([fakePartner?.close(), fakeOAuth?.close()]),
  };
}

/**
 * Starts the example (or the app in `dir`) with `next start`, or `next dev`
 * with `dev: true`, with `env` added to this process's environment. Resolves
 * once it answers, to `{ url, child, output(), close() }`; `onLine` receives
 * each line it prints.
 */
export async function startApp({
  dir = exampleDir,
  env = {},
  port,
  host = '127.0.0.1',
  dev = false,
  onLine,
  timeout = 60_000,
} = {}) {
  port ??= await freePort(host);
  // Next gives route handlers `http://localhost:PORT/...` as the request URL
  // whatever the Host header says, so the app is browsed as localhost, and
  // AUTH_URL says so explicitly (one origin for cookies and redirects).
  const url = env.AUTH_URL ?? process.env.AUTH_URL ?? `http://localhost:${port}`;
  const child = spawn(
    process.execPath,
    [nextBinIn(dir), dev ? 'dev' : 'start', '--port', String(port), '--hostname', host],
    {
      cwd: dir,
      env: childEnv({
        AUTH_SECRET: process.env.AUTH_SECRET ?? randomBytes(32).toString('base64url'),
        DEV_OUTBOX: '1',
        AUTH_URL: url,
        ...env,
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group, so that close() stops next's workers too
    },
  );
  let output = '';
  let pending = '';
  const onData = (chunk) => {
    output += chunk;
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop();
    for (const line of lines) onLine?.(line);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );

  let closing = null;
  const close = () => {
    closing ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {}
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {}
      }, 5000);
      await exited;
      clearTimeout(timer);
    })();
    return closing;
  };
  // Never leave a server behind if this process ends without calling close().
  const killOnExit = () => {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {}
  };
  process.once('exit', killOnExit);
  exited.then(() => process.off('exit', killOnExit));

  const urlHost = host.includes(':') ? `[${host}]` : host;
  const probe = `http://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : urlHost}:${port}`;
  const deadline = Date.now() + timeout;
  let ended = null;
  exited.then((result) => (ended = result));
  for (;;) {
    if (ended) {
      throw new Error(
        `the app exited (${ended.signal ?? ended.code}) before answering:\n${output}`,
      );
    }
    try {
      const response = await fetch(`${probe}/api/auth/providers`, { redirect: 'manual' });
      await response.arrayBuffer();
      if (response.status === 200) break;
    } catch {}
    if (Date.now() > deadline) {
      await close();
      throw new Error(`the app did not answer within ${timeout} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { url, port, child, output: () => output, close };
}

async function main() {
  const dev = process.env.DEMO_APP_DEV === '1';
  const host = process.env.HOST || '127.0.0.1';
  const log = (line) => console.log(`[demo:app] ${line}`);

  try {
    await stat(path.join(root, NODE_FILE));
  } catch {
    console.error(`[demo:app] ${NODE_FILE} is missing: run \`npm run build\` first`);
    process.exitCode = 1;
    return;
  }
  await prepareExample({ log, dev });

  const real = Boolean(process.env.CHATBOTKIT_API_SECRET);
  const fakes = await startFakes({ partner: !real });
  if (fakes.partner) log(`fake ChatBotKit Partner API on ${fakes.partner.url}`);
  else
    log(
      `ChatBotKit Partner API: ${process.env.CHATBOTKIT_API_URL || 'https://api.chatbotkit.com'}`,
    );
  log(`fake OAuth provider on ${fakes.oauth.url}`);

  let port = process.env.PORT ? Number(process.env.PORT) : 3000;
  if (!process.env.PORT && !(await portIsFree(port, host))) port = await freePort(host);

  log(dev ? 'next dev' : 'next start');
  let app;
  try {
    app = await startApp({
      dev,
      host,
      port,
      env: { AUTO_CREATE_USER: process.env.AUTO_CREATE_USER ?? 'true', ...fakes.env },
      onLine: (line) => {
        if (line.trim()) console.log(`[app] ${line}`);
      },
    });
  } catch (error) {
    console.error(`[demo:app] ${error.message}`);
    await fakes.close();
    process.exitCode = 1;
    return;
  }

  const store = process.env.REDIS_URL ? `RedisStore (${process.env.REDIS_URL})` : 'MemoryStore';
  const autoCreate = process.env.AUTO_CREATE_USER ?? 'true';
  console.log(`
  Example app:  ${app.url}
  Outbox:       ${app.url}/dev/outbox   (sign-in codes; they are also printed here)
  Store:        ${store}, AUTO_CREATE_USER=${autoCreate}

  Ctrl-C stops the app and the fakes.
`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\n[demo:app] stopping');
    await app.close();
    await fakes.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  app.child.once('exit', async (code, signal) => {
    if (stopping) return;
    console.error(`[demo:app] the app exited (${signal ?? code})`);
    await fakes.close();
    process.exit(1);
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((error) => {
    console.error(`[demo:app] ${error.stack ?? error}`);
    process.exit(1);
  });
}
