// End to end: the README's quick start, word for word, as a new user follows it.
//
// A fresh-app-like Next.js 16 App Router project (TypeScript strict, the `@/*`
// alias, as create-next-app makes it, with pinned versions) gets the package
// from its two tarballs and its files from the README's code blocks: the
// quick start, plus each middleware set-up of "Middleware and the Edge
// runtime" (proxy.ts; the split configuration with middleware.ts on the Edge;
// none). For each set-up, once:
//
//   - `tsc --noEmit` (strict) passes;
//   - `next build` (Turbopack) passes with none of the app's variables set, and
//     opens no network socket (every connect() is traced with strace);
//   - on `next start`, headless Chromium signs in with an emailed code and out
//     again, on a MemoryStore and then on a RedisStore (REDIS_URL at run time,
//     one build for both).
//
// Needs Chromium (/usr/bin/chromium or CHROMIUM_PATH), redis-server, strace and
// the npm registry; without Chromium the test is skipped, except under CI.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { redisAvailable, startRedis } from './helpers/redis.mjs';
import { startFakePartnerApi } from '../testing/index.mjs';
import {
  CHROMIUM_ARGS,
  chromiumPath,
  chromiumSkip,
  haveChromium,
  inCI,
} from './helpers/browser.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const haveStrace = spawnSync('strace', ['-V']).status === 0;
const skip = chromiumSkip;

// What `npx create-next-app@latest` gives today, pinned so the test does not move.
const VERSIONS = {
  next: '16.4.6',
  react: '19.3.1',
  'react-dom': '19.3.1',
  typescript: '5.9.3',
  '@types/node': '22.19.1',
  '@types/react': '19.2.7',
  '@types/react-dom': '19.2.3',
};
const NEXT_AUTH = 'next-auth@5.0.0-beta.32'; // as the README's install line names it

// The app lives outside the repository, as a user's would (Next.js infers its
// root from the nearest lockfile). Its node_modules are kept between runs
// while the tarballs and versions stay the same; one app per checkout, so two
// checkouts testing at once do not build in each other's folder.
const checkout = createHash('sha256').update(root).digest('hex').slice(0, 8);
const appDir = path.join(
  os.tmpdir(),
  `nextauth-chatbotkit-quickstart-${process.getuid?.() ?? 0}-${checkout}`,
);

// --- the README's files -----------------------------------------------------

/**
 * The code blocks of README.md that are files (first line `// <path>`), each
 * with the heading it is under: `{ heading, file, code }`.
 */
function readmeFiles(readme) {
  const files = [];
  let heading = '';
  const lines = readme.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (/^#{1,6} /.test(line)) heading = line.replace(/^#+ /, '');
    const fence = /^```(ts|tsx)$/.exec(line);
    if (!fence) continue;
    const end = lines.indexOf('```', i + 1);
    const block = lines.slice(i + 1, end);
    i = end;
    const name = /^\/\/ (\S+)$/.exec(block[0] ?? '');
    if (name) files.push({ heading, file: name[1], code: `${block.join('\n')}\n` });
  }
  return files;
}

/** The files of each set-up: the quick start's, then the set-up's own on top. */
function setups(readme) {
  const files = readmeFiles(readme);
  const under = (pattern) =>
    Object.fromEntries(
      files.filter((f) => pattern.test(f.heading)).map(({ file, code }) => [file, code]),
    );
  const quickStart = under(/^Quick start\b/);
  const proxy = under(/proxy\.ts/);
  const split = under(/^2\. Split configuration/);
  for (const [name, set, needs] of [
    [
      'quick start',
      quickStart,
      ['next.config.ts', 'auth.ts', 'app/verify/page.tsx', 'app/verify/code/route.ts'],
    ],
    ['proxy.ts set-up', proxy, ['proxy.ts']],
    ['split set-up', split, ['auth.config.ts', 'middleware.ts', 'auth.ts']],
  ]) {
    for (const file of needs) assert.ok(set[file], `the README's ${name} has ${file}`);
  }
  return [
    { name: 'no middleware', files: quickStart, guarded: false },
    { name: 'proxy.ts', files: { ...quickStart, ...proxy }, guarded: true },
    { name: 'split config', files: { ...quickStart, ...split }, guarded: true, jwt: true },
  ];
}

// --- the app around them (what create-next-app writes) ------------------------

const SCAFFOLD = {
  'tsconfig.json': JSON.stringify(
    {
      compilerOptions: {
        target: 'ES2017',
        lib: ['dom', 'dom.iterable', 'esnext'],
        allowJs: true,
        skipLibCheck: true,
        strict: true,
        noEmit: true,
        esModuleInterop: true,
        module: 'esnext',
        moduleResolution: 'bundler',
        resolveJsonModule: true,
        isolatedModules: true,
        jsx: 'react-jsx',
        incremental: true,
        plugins: [{ name: 'next' }],
        paths: { '@/*': ['./*'] },
      },
      include: [
        'next-env.d.ts',
        '**/*.ts',
        '**/*.tsx',
        '.next/types/**/*.ts',
        '.next/dev/types/**/*.ts',
      ],
      exclude: ['node_modules'],
    },
    null,
    2,
  ),
  'app/layout.tsx': `import type { Metadata } from 'next';

export const metadata: Metadata = { title: 'Create Next App' };

export default function RootLayout({ children }: Readonly<{ children: React.ReactNode }>) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
`,
};

// Files a set-up may add, removed before the next one is written.
const SETUP_FILES = ['proxy.ts', 'middleware.ts', 'auth.config.ts'];

let demo; // scripts/demo-app.mjs: packing, running npm and next
let browser;
let partner;
let redis;
const timings = [];
const readme = await readFile(path.join(root, 'README.md'), 'utf8');

async function timed(label, fn) {
  const started = performance.now();
  try {
    return await fn();
  } finally {
    timings.push(`${label} ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
}

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** npm install of the pinned app and the tarballs, unless already done for these. */
async function installApp(tarballs) {
  const hash = createHash('sha256').update(JSON.stringify([VERSIONS, NEXT_AUTH]));
  for (const file of [tarballs.main, tarballs.platform]) hash.update(await readFile(file));
  const stamp = path.join(appDir, 'node_modules', '.quickstart-stamp');
  const want = hash.digest('hex');
  if (existsSync(stamp) && (await readFile(stamp, 'utf8')) === want) return;
  await rm(appDir, { recursive: true, force: true });
  await mkdir(appDir, { recursive: true });
  const manifest = {
    name: 'my-app',
    version: '0.1.0',
    private: true,
    scripts: { dev: 'next dev', build: 'next build', start: 'next start' },
    dependencies: {
      next: VERSIONS.next,
      react: VERSIONS.react,
      'react-dom': VERSIONS['react-dom'],
    },
    devDependencies: {
      typescript: VERSIONS.typescript,
      '@types/node': VERSIONS['@types/node'],
      '@types/react': VERSIONS['@types/react'],
      '@types/react-dom': VERSIONS['@types/react-dom'],
    },
  };
  await writeFile(path.join(appDir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const flags = ['--no-audit', '--no-fund', '--loglevel=error'];
  await demo.run(npm, ['install', ...flags], { cwd: appDir });
  // The README's install line, with the tarballs for the package name.
  await demo.run(npm, ['install', ...flags, NEXT_AUTH, tarballs.main, tarballs.platform], {
    cwd: appDir,
  });
  await writeFile(stamp, want);
}

/** Writes a set-up's files (and the scaffold), removing the previous set-up's. */
async function writeApp(files) {
  for (const file of SETUP_FILES) await rm(path.join(appDir, file), { force: true });
  await rm(path.join(appDir, '.next'), { recursive: true, force: true });
  for (const [file, code] of Object.entries({ ...SCAFFOLD, ...files })) {
    await mkdir(path.dirname(path.join(appDir, file)), { recursive: true });
    await writeFile(path.join(appDir, file), code);
  }
}

/** Only what a shell has: none of the app's variables (AUTH_*, CHATBOTKIT_*, REDIS_URL). */
function bareEnv() {
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, NEXT_TELEMETRY_DISABLED: '1' };
  if (process.env.TMPDIR) env.TMPDIR = process.env.TMPDIR;
  return env;
}

/**
 * Runs `node ...args` under strace: resolves to the network connections it
 * and its children opened (the AF_INET / AF_INET6 connect() calls).
 */
async function tracedConnections(args, options) {
  const trace = path.join(appDir, '.connect.trace');
  await rm(trace, { force: true });
  await demo.run(
    'strace',
    ['-f', '-qq', '-e', 'trace=connect', '-o', trace, process.execPath, ...args],
    options,
  );
  const lines = (await readFile(trace, 'utf8')).split('\n');
  return lines.filter((line) => /connect\(.*sa_family=AF_INET6?\b/.test(line));
}

/** `next build` with a bare environment: its network connections, or null untraced. */
async function build() {
  const args = [demo.nextBinIn(appDir), 'build'];
  if (!haveStrace) {
    await demo.run(process.execPath, args, { cwd: appDir, env: bareEnv() });
    return null;
  }
  return tracedConnections(args, { cwd: appDir, env: bareEnv() });
}

async function typecheck() {
  const tsc = path.join(appDir, 'node_modules', 'typescript', 'bin', 'tsc');
  await demo.run(process.execPath, [tsc, '--noEmit', '-p', 'tsconfig.json'], {
    cwd: appDir,
    env: bareEnv(),
  });
}

/** Commands Redis ran for clients, by name (what the test's own redis-cli runs left out). */
function redisCommands() {
  const counts = {};
  for (const [, name, calls] of redis
    .cli('INFO', 'commandstats')
    .matchAll(/cmdstat_(\w+):calls=(\d+)/g)) {
    if (!['info', 'keys', 'ping', 'command', 'hello', 'client', 'select'].includes(name)) {
      counts[name] = Number(calls);
    }
  }
  return counts;
}

/** The partner users the fake holds for `email`. */
const partnerUsersWith = (email) => [...partner.users.values()].filter((u) => u.email === email);

/** The newest code the app printed for `email` (the quick start's console.log). */
async function codeFor(app, email) {
  const pattern = new RegExp(`sign-in code for ${email.replace(/[.+]/g, '\\$&')}: (\\w+)`, 'g');
  for (let i = 0; i < 100; i++) {
    const codes = [...app.output().matchAll(pattern)];
    if (codes.length) return codes.at(-1)[1];
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no code for ${email} in the app's output`);
}

/** Waits for what a signed-out visitor of `/` sees. */
async function signedOut(page, setup) {
  // The proxy / middleware sends a signed-out visitor to the sign-in page.
  if (setup.guarded) await page.waitForURL(/\/api\/auth\/signin\?callbackUrl=/);
  else await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
}

/** Signs in with an emailed code and out again, in a fresh browser profile. */
async function signInAndOut(app, setup, email) {
  const context = await browser.newContext();
  context.setDefaultTimeout(20_000);
  context.setDefaultNavigationTimeout(30_000);
  const page = await context.newPage();
  try {
    await page.goto(`${app.url}/`);
    await signedOut(page, setup);
    if (!setup.guarded) {
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await page.waitForURL(/\/api\/auth\/signin/);
    }
    // Auth.js's own sign-in page lists both providers of the quick start.
    await page.getByRole('button', { name: 'Sign in with GitHub' }).waitFor();
    await page.getByLabel('Email').fill(email);
    await page.getByRole('button', { name: 'Sign in with Email' }).click();

    // pages.verifyRequest: the README's code page.
    await page.waitForURL(/\/verify\?/);
    const code = await codeFor(app, email);
    assert.match(code, /^[0-9a-f]{6}$/);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Code').fill(` ${code.toUpperCase()} `); // typed loosely
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(`${app.url}/`);
    assert.equal(await page.getByTestId('email').textContent(), email);

    // One ChatBotKit partner user, whose id the page's session carries
    // (createChatBotKitSession got it) and /api/auth/session agrees.
    const [user, ...more] = partnerUsersWith(email);
    assert.ok(user, 'a ChatBotKit partner user was created');
    assert.equal(more.length, 0);
    assert.ok(
      partner.sessions.some((s) => s.userId === user.id),
      'the page made a ChatBotKit session for the partner user',
    );
    const session = await (await page.request.get(`${app.url}/api/auth/session`)).json();
    assert.equal(session?.user?.email, email);
    assert.equal(session?.user?.id, user.id);

    // Signing out lands on `/` again, signed out.
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await signedOut(page, setup);
    const after = await (await page.request.get(`${app.url}/api/auth/session`)).json();
    assert.equal(after, null, 'no session any more');
    await page.goto(`${app.url}/`);
    await signedOut(page, setup);
    return user;
  } catch (error) {
    error.message += `\n(page: ${page.url()})\n--- app output ---\n${app.output().slice(-4000)}`;
    throw error;
  } finally {
    await context.close();
  }
}

before(async () => {
  if (skip) return;
  assert.ok(haveChromium, `Chromium is required under CI: none at ${chromiumPath}`);
  if (inCI) {
    assert.ok(redisAvailable(), 'redis-server is required under CI');
    assert.ok(haveStrace, 'strace is required under CI');
  }
  demo = await import('../scripts/demo-app.mjs');
  const tarballs = await timed('pack', () => demo.packIfNeeded());
  await timed('npm install', () => installApp(tarballs));
  partner = await startFakePartnerApi();
  if (haveStrace) {
    // The trace sees a connection when there is one (here, to the fake API).
    const port = new URL(partner.url).port;
    const seen = await tracedConnections(
      ['-e', `require('net').connect(${port}, '127.0.0.1').on('connect', process.exit)`],
      { cwd: appDir },
    );
    assert.equal(seen.length, 1, `strace saw ${seen.length} connections to the fake API`);
  }
  if (redisAvailable()) redis = await startRedis();
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  await partner?.close();
  await redis?.close();
  if (timings.length) console.log(`# quick start e2e timings: ${timings.join(', ')}`);
});

test('the README names the tarball install and a strict-safe quick start', { skip }, () => {
  assert.match(readme, /npm run pack:tarballs/);
  assert.match(readme, /AUTH_SECRET/);
  assert.match(readme, /AUTH_TRUST_HOST/);
  const list = setups(readme);
  assert.equal(list.length, 3);
});

const run = Date.now().toString(36);
for (const [index, setup] of setups(readme).entries()) {
  test(
    `quick start, ${setup.name}: build, then sign in and out`,
    { skip, timeout: 600_000 },
    async (t) => {
      await writeApp(setup.files);

      await t.test('next build with no variables set opens no socket', async () => {
        const connections = await timed(`build (${setup.name})`, build);
        if (connections === null) {
          t.diagnostic('strace is not installed: the build was not traced (CI requires it)');
        } else {
          assert.deepEqual(connections, [], 'next build opened network connections');
        }
      });

      await t.test('tsc --noEmit (strict) passes', () => timed(`tsc (${setup.name})`, typecheck));

      const stores = [['MemoryStore', {}]];
      if (redis) stores.push(['RedisStore', { REDIS_URL: redis.url }]);
      else if (inCI) assert.fail('redis-server is required under CI');
      for (const [store, storeEnv] of stores) {
        await t.test(`sign in and out on ${store}`, async () => {
          const app = await demo.startApp({
            dir: appDir,
            env: {
              AUTH_SECRET: randomBytes(32).toString('base64url'),
              AUTH_TRUST_HOST: 'true',
              CHATBOTKIT_API_SECRET: partner.secret,
              CHATBOTKIT_API_URL: partner.url,
              REDIS_URL: '',
              ...storeEnv,
            },
          });
          try {
            const before = redis ? redisCommands() : {};
            const email = `user${index}.${store.toLowerCase()}.${run}@example.com`;
            await timed(`sign-in (${setup.name}, ${store})`, () => signInAndOut(app, setup, email));
            if (store === 'RedisStore') {
              // Codes (and database sessions) went through this Redis.
              const used = Object.entries(redisCommands()).filter(([n, c]) => c > (before[n] ?? 0));
              assert.ok(used.length > 0, 'the app used Redis');
              if (!setup.jwt) assert.equal(redis.cli('KEYS', 'session:*'), '', 'signed out');
            }
          } finally {
            await app.close();
          }
        });
      }
    },
  );
}

test('what goes wrong otherwise gets a clear error', { skip, timeout: 600_000 }, async (t) => {
  const quickStart = setups(readme)[0].files;

  await t.test('a Client Component importing the package: a server-only build error', async () => {
    await writeApp({
      ...quickStart,
      'app/client/page.tsx': `'use client';
import { emailCallbackUrl } from 'nextauth-chatbotkit';

export default function Client() {
  return <a href={emailCallbackUrl({ email: 'a@example.com', code: 'abc123' })}>go</a>;
}
`,
    });
    try {
      const error = await timed('build (client component)', () =>
        demo.run(process.execPath, [demo.nextBinIn(appDir), 'build'], {
          cwd: appDir,
          env: bareEnv(),
        }),
      ).then(
        () => null,
        (e) => e,
      );
      assert.ok(error, 'the build failed');
      assert.match(error.message, /'server-only' cannot be imported from a Client Component/);
      assert.match(error.message, /app\/client\/page\.tsx/);
      assert.doesNotMatch(error.message, /Can't resolve 'fs'/);
    } finally {
      await rm(path.join(appDir, 'app', 'client'), { recursive: true, force: true });
    }
  });

  await t.test('auth.ts with the adapter as Edge middleware: the stub names the fix', async () => {
    await writeApp({
      ...quickStart,
      'middleware.ts': `export { auth as middleware } from '@/auth';\n\nexport const config = { matcher: ['/'] };\n`,
    });
    await timed('build (adapter on the Edge)', () =>
      demo.run(process.execPath, [demo.nextBinIn(appDir), 'build'], {
        cwd: appDir,
        env: bareEnv(),
      }),
    );
    const app = await demo.startApp({
      dir: appDir,
      env: {
        AUTH_SECRET: randomBytes(32).toString('base64url'),
        AUTH_TRUST_HOST: 'true',
        CHATBOTKIT_API_SECRET: partner.secret,
        CHATBOTKIT_API_URL: partner.url,
        REDIS_URL: '',
      },
    });
    try {
      // A session cookie makes the Edge middleware ask the adapter (database sessions).
      const response = await fetch(`${app.url}/`, {
        headers: { cookie: 'authjs.session-token=not-a-real-session' },
      });
      await response.text();
      assert.notEqual(response.status, 500, app.output());
      const until = Date.now() + 10_000;
      while (!/needs the Node\.js runtime/.test(app.output()) && Date.now() < until) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.match(app.output(), /AdapterError|CONFIG/);
      assert.match(app.output(), /needs the Node\.js runtime.*proxy\.ts/);
      assert.doesNotMatch(app.output(), /npm has a bug/);
    } finally {
      await app.close();
    }
  });
});
