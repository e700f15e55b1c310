// End to end: the example Next.js app (examples/nextjs), installed from the
// packed tarballs, built with `next build`, served by `next start`, driven by
// headless Chromium (playwright-core). Screenshots of every step go to
// __test__/output/e2e/.
//
// Two instances of the one build share one fake Partner API (users live in
// ChatBotKit) and one fake OAuth provider: "open" with AUTO_CREATE_USER=true,
// "closed" with AUTO_CREATE_USER=false.
//
// Needs Chromium at /usr/bin/chromium (Debian: `apt-get install chromium`; or
// CHROMIUM_PATH). Without it the test is skipped, except under CI, where it fails.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { redisAvailable, startRedis } from './helpers/redis.mjs';
import {
  CHROMIUM_ARGS,
  chromiumPath,
  chromiumSkip,
  haveChromium,
  inCI,
} from './helpers/browser.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const shots = path.join(root, '__test__', 'output', 'e2e');
const skip = chromiumSkip;

const redisSkip =
  redisAvailable() || inCI ? false : 'redis-server is not installed (CI installs it)';

const run = Date.now().toString(36);
const emails = {
  codeUser: `ada.${run}@example.com`,
  refused: `eve.${run}@example.com`,
  oauthUser: `grace.${run}@example.com`,
  oauthRefused: `mallory.${run}@example.com`,
  redisUser: `barbara.${run}@example.com`,
};

let demo; // scripts/demo-app.mjs
let fakes;
let open; // AUTO_CREATE_USER=true
let closed; // AUTO_CREATE_USER=false
let browser;
let step = 0;
const timings = [];

/** Runs `fn`, recording how long it took under `label`. */
async function timed(label, fn) {
  const started = performance.now();
  try {
    return await fn();
  } finally {
    timings.push(`${label}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
}

async function shot(page, name) {
  step += 1;
  const file = path.join(shots, `${String(step).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

let extra = null; // the app of the Redis scenario

/** The last lines the apps printed, for failure messages. */
function appLogs() {
  const tail = (app) => (app ? app.output().split('\n').slice(-40).join('\n') : '(not started)');
  let logs = `\n--- open app output ---\n${tail(open)}\n--- closed app output ---\n${tail(closed)}`;
  if (extra) logs += `\n--- Redis app output ---\n${tail(extra)}`;
  return logs;
}

/** A fresh browser profile (no cookies) and a page in it. */
async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1000, height: 720 } });
  context.setDefaultTimeout(20_000);
  context.setDefaultNavigationTimeout(30_000);
  const page = await context.newPage();
  return { context, page };
}

/** Wraps a step: on failure, a screenshot and the apps' output join the error. */
async function scenario(page, name, fn) {
  try {
    await fn();
  } catch (error) {
    await shot(page, `FAILED-${name}`).catch(() => {});
    error.message += `\n(page: ${page.url()})${appLogs()}`;
    throw error;
  }
}

const partnerUsersWith = (email) =>
  [...fakes.partner.users.values()].filter((user) => user.email === email);

async function requestCode(page, app, email, name) {
  await page.goto(`${app.url}/signin`);
  await page.getByLabel('Email').fill(email);
  if (name) await shot(page, name);
  await page.getByRole('button', { name: 'Email me a code' }).click();
}

/** The newest code the app's outbox page lists for `email`. */
async function codeFromOutbox(context, app, email, name) {
  const page = await context.newPage();
  await page.goto(`${app.url}/dev/outbox`);
  const code = await page
    .locator(`[data-testid="outbox-row"][data-to="${email}"] [data-testid="outbox-code"]`)
    .first()
    .textContent();
  if (name) await shot(page, name);
  await page.close();
  assert.match(code, /^[0-9a-f]{6}$/);
  return code;
}

async function enterCode(page, code) {
  await page.getByLabel('Code').fill(code);
  await page.locator('main').getByRole('button', { name: 'Sign in' }).click();
}

/** What the signed-in page shows. */
async function account(page) {
  const text = (id) => page.getByTestId(id).textContent();
  return {
    email: await text('email'),
    name: await text('name'),
    userId: await text('user-id'),
    chatbotkitSessionId: await text('cbk-session-id'),
    chatbotkitExpires: new Date(
      await page.getByTestId('cbk-session-expires').getAttribute('datetime'),
    ),
  };
}

async function signOut(page, app) {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(`${app.url}/signin`);
  await page.goto(`${app.url}/`);
  await page.waitForURL(`${app.url}/signin`); // no session any more
}

/** Through the fake OAuth provider's consent page, as `email`. */
async function oauthConsent(page, app, email, name, screenshot) {
  await page.goto(`${app.url}/signin`);
  await page.getByRole('button', { name: 'Sign in with Fake OAuth' }).click();
  await page.waitForURL((url) => url.href.startsWith(`${fakes.oauth.url}/authorize`));
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Name').fill(name);
  if (screenshot) await shot(page, screenshot);
  await page.getByRole('button', { name: 'Allow' }).click();
}

function assertChatBotKitSession(shown, userId) {
  // createChatBotKitSession(..., { durationInSeconds: 3600 }) on the server.
  const issued = fakes.partner.sessions.find((s) => s.id === shown.chatbotkitSessionId);
  assert.ok(issued, `the fake Partner API issued session ${shown.chatbotkitSessionId}`);
  assert.equal(issued.userId, userId);
  const lifetime = shown.chatbotkitExpires.getTime() - Date.now();
  assert.ok(
    lifetime > 3500_000 && lifetime <= 3600_000,
    `expires in about an hour: ${lifetime} ms`,
  );
}

before(async () => {
  if (skip) return;
  assert.ok(haveChromium, `Chromium is required under CI: none at ${chromiumPath}`);
  await rm(shots, { recursive: true, force: true });
  await mkdir(shots, { recursive: true });
  demo = await import('../scripts/demo-app.mjs');
  await timed('pack + install + build', () => demo.prepareExample());
  fakes = await demo.startFakes();
  await timed('start both apps', async () => {
    [open, closed] = await Promise.all([
      demo.startApp({ env: { ...fakes.env, AUTO_CREATE_USER: 'true' } }),
      demo.startApp({ env: { ...fakes.env, AUTO_CREATE_USER: 'false' } }),
    ]);
  });
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  await Promise.all([open?.close(), closed?.close(), extra?.close()]);
  await fakes?.close();
  if (timings.length) console.log(`# e2e timings: ${timings.join(', ')}`);
});

test('e2e: the Next.js example in headless Chromium', { skip, timeout: 300_000 }, async (t) => {
  let codeUserId;

  await t.test('a new user signs up with an emailed code (AUTO_CREATE_USER=true)', async () => {
    const { context, page } = await newPage();
    await scenario(page, 'sign-up', async () => {
      await requestCode(page, open, emails.codeUser, 'sign-in-email');
      await page.waitForURL(/\/signin\?email=/);
      assert.equal(await page.getByTestId('code-email').textContent(), emails.codeUser);
      await shot(page, 'sign-in-code');
      const code = await codeFromOutbox(context, open, emails.codeUser, 'outbox');
      assert.match(
        open.output(),
        new RegExp(`code for ${emails.codeUser.replace(/\./g, '\\.')}: ${code}`),
      );
      await enterCode(page, ` ${code.toUpperCase()} `); // typed loosely: tidied by /signin/verify
      await page.waitForURL(`${open.url}/`);
      const shown = await account(page);
      await shot(page, 'signed-in');

      const [partnerUser, ...more] = partnerUsersWith(emails.codeUser);
      assert.ok(partnerUser, 'a ChatBotKit partner user was created');
      assert.equal(more.length, 0);
      assert.equal(shown.email, emails.codeUser);
      assert.equal(shown.userId, partnerUser.id);
      assertChatBotKitSession(shown, partnerUser.id);
      codeUserId = partnerUser.id;
    });
    await context.close();
  });

  await t.test('signs out, then signs in again as the same ChatBotKit user', async () => {
    const { context, page } = await newPage();
    await scenario(page, 'sign-in-again', async () => {
      // Sign in (a fresh browser), then out.
      await requestCode(page, open, emails.codeUser);
      await page.waitForURL(/\/signin\?email=/);
      await enterCode(page, await codeFromOutbox(context, open, emails.codeUser));
      await page.waitForURL(`${open.url}/`);
      await signOut(page, open);
      await shot(page, 'signed-out');

      // A wrong code is refused with a clear page; the right one still works.
      await requestCode(page, open, emails.codeUser);
      await page.waitForURL(/\/signin\?email=/);
      const codePage = page.url();
      const code = await codeFromOutbox(context, open, emails.codeUser);
      await enterCode(page, code === 'abcdef' ? 'fedcba' : 'abcdef');
      await page.waitForURL(/\/signin\/error\?error=Verification/);
      await shot(page, 'wrong-code');
      await page.goto(codePage);
      await enterCode(page, code);
      await page.waitForURL(`${open.url}/`);
      const shown = await account(page);
      await shot(page, 'signed-in-again');

      assert.equal(shown.userId, codeUserId, 'the same partner user');
      assert.equal(partnerUsersWith(emails.codeUser).length, 1, 'no second partner user');
      assertChatBotKitSession(shown, codeUserId);
    });
    await context.close();
  });

  await t.test('AUTO_CREATE_USER=false: a new email is refused with a clear page', async () => {
    const { context, page } = await newPage();
    await scenario(page, 'sign-up-closed', async () => {
      await requestCode(page, closed, emails.refused);
      await page.waitForURL(/\/signin\/error\?/);
      const message = page.getByTestId('signin-error');
      assert.equal(await message.getAttribute('data-error'), 'SignUpClosed');
      assert.match(await message.textContent(), new RegExp(emails.refused.replace(/\./g, '\\.')));
      assert.equal(await page.locator('h1').textContent(), 'Sign-up is closed');
      await shot(page, 'sign-up-closed');

      assert.equal(partnerUsersWith(emails.refused).length, 0, 'no partner user created');
      await page.goto(`${closed.url}/dev/outbox`);
      assert.equal(await page.locator(`[data-to="${emails.refused}"]`).count(), 0, 'no code sent');
    });
    await context.close();
  });

  await t.test('AUTO_CREATE_USER=false: an existing ChatBotKit user signs in', async () => {
    const { context, page } = await newPage();
    await scenario(page, 'existing-user', async () => {
      await requestCode(page, closed, emails.codeUser);
      await page.waitForURL(/\/signin\?email=/);
      await enterCode(page, await codeFromOutbox(context, closed, emails.codeUser));
      await page.waitForURL(`${closed.url}/`);
      const shown = await account(page);
      await shot(page, 'closed-app-existing-user');
      assert.equal(shown.userId, codeUserId);
    });
    await context.close();
  });

  await t.test('OAuth: a new identity signs up, signs out, signs in again', async () => {
    const { context, page } = await newPage();
    await scenario(page, 'oauth', async () => {
      await oauthConsent(page, open, emails.oauthUser, 'Grace Hopper', 'oauth-consent');
      await page.waitForURL(`${open.url}/`);
      const first = await account(page);
      await shot(page, 'oauth-signed-in');
      const [partnerUser, ...more] = partnerUsersWith(emails.oauthUser);
      assert.ok(partnerUser, 'a ChatBotKit partner user was created');
      assert.equal(more.length, 0);
      assert.equal(first.userId, partnerUser.id);
      assert.equal(first.name, 'Grace Hopper');
      assertChatBotKitSession(first, partnerUser.id);

      await signOut(page, open);
      await oauthConsent(page, open, emails.oauthUser, 'Grace Hopper');
      await page.waitForURL(`${open.url}/`);
      const again = await account(page);
      await shot(page, 'oauth-signed-in-again');
      assert.equal(again.userId, partnerUser.id, 'the linked account finds the same user');
      assert.equal(partnerUsersWith(emails.oauthUser).length, 1);
    });
    await context.close();
  });

  await t.test('OAuth with AUTO_CREATE_USER=false: a new identity is refused', async () => {
    const { context, page } = await newPage();
    await scenario(page, 'oauth-closed', async () => {
      await oauthConsent(page, closed, emails.oauthRefused, 'Mallory');
      await page.waitForURL(/\/signin\/error\?/);
      const message = page.getByTestId('signin-error');
      assert.equal(await message.getAttribute('data-error'), 'SignUpClosed');
      assert.match(
        await message.textContent(),
        new RegExp(emails.oauthRefused.replace(/\./g, '\\.')),
      );
      await shot(page, 'oauth-sign-up-closed');
      assert.equal(partnerUsersWith(emails.oauthRefused).length, 0);
    });
    await context.close();
  });
  await t.test(
    'REDIS_URL: sessions live in Redis and survive an app restart',
    { skip: redisSkip },
    async () => {
      const redis = await startRedis();
      const env = {
        ...fakes.env,
        AUTO_CREATE_USER: 'true',
        REDIS_URL: redis.url,
        AUTH_SECRET: 'e2e-redis-secret-the-same-after-a-restart',
      };
      const { context, page } = await newPage();
      try {
        extra = await demo.startApp({ env });
        const { port } = extra;
        await scenario(page, 'redis', async () => {
          await requestCode(page, extra, emails.redisUser);
          await page.waitForURL(/\/signin\?email=/);
          await enterCode(page, await codeFromOutbox(context, extra, emails.redisUser));
          await page.waitForURL(`${extra.url}/`);
          const before = await account(page);
          assert.match(redis.cli('KEYS', 'session:*'), /^session:/m, 'the session is in Redis');

          // A new process, the same store: the browser is still signed in.
          await extra.close();
          extra = await demo.startApp({ env, port });
          await page.goto(`${extra.url}/`);
          const after = await account(page);
          await shot(page, 'redis-after-restart');
          assert.equal(after.userId, before.userId);
          assert.equal(after.email, emails.redisUser);
        });
      } finally {
        await context.close();
        await extra?.close();
        await redis.close();
      }
    },
  );
});
