// npm run demo: a complete email sign-in through real @auth/core, with this
// adapter, the native MemoryStore and (without CHATBOTKIT_API_SECRET) a local
// fake ChatBotKit Partner API, so it needs no secret and no network.
//
// It requests a code, reads it from the demo's outbox as the user would read
// their mail, calls back with it, and prints the signed-in user and every
// adapter call with its time. Run in a terminal, it then starts the example
// Next.js app (npm run demo:app) for the same sign-in in a browser; pass
// --no-app, or run it without a terminal (CI, tests), to stop after the
// sign-in above.

import { performance } from 'node:perf_hooks';
import {
  ChatBotKitPartnerAdapter,
  ChatBotKitEmailProvider,
  MemoryStore,
  emailCallbackUrl,
} from '../index.mjs';
import { startFakePartnerApi } from '../testing/index.mjs';
import { cookieJarRequest } from './auth-request.mjs';

const ORIGIN = 'http://localhost:3000';
const email = process.env.DEMO_EMAIL ?? 'ada@example.com';
const realSecret = process.env.CHATBOTKIT_API_SECRET;

const fake = realSecret ? null : await startFakePartnerApi();
const partner = fake
  ? { secret: fake.secret, baseUrl: fake.url, label: `fake Partner API at ${fake.url}` }
  : {
      secret: realSecret,
      baseUrl: process.env.CHATBOTKIT_API_URL,
      label: 'the real ChatBotKit API',
    };

// Every adapter call, timed. The adapter stays a plain object of functions.
const calls = [];
function timed(adapter) {
  const wrapped = {};
  for (const [name, fn] of Object.entries(adapter)) {
    wrapped[name] = async (...args) => {
      const start = performance.now();
      try {
        return await fn(...args);
      } finally {
        calls.push({ name, ms: performance.now() - start });
      }
    };
  }
  return wrapped;
}

const adapter = timed(
  ChatBotKitPartnerAdapter({
    secret: partner.secret,
    baseUrl: partner.baseUrl,
    store: new MemoryStore(),
    autoCreateUser: true,
  }),
);

// The demo's outbox: where a real app would send mail.
const outbox = [];
const config = {
  basePath: '/auth',
  secret: 'demo-auth-secret-not-for-production',
  trustHost: true,
  adapter,
  session: { strategy: 'jwt' },
  providers: [
    ChatBotKitEmailProvider({
      async sendVerificationRequest({ identifier, token, url }) {
        outbox.push({ to: identifier, code: token, url });
      },
    }),
  ],
};

// A cookie jar, as a browser would keep.
const request = cookieJarRequest(config, ORIGIN);

function step(text) {
  console.log(`\n▸ ${text}`);
}

console.log(`nextauth-chatbotkit demo: email sign-in for ${email} against ${partner.label}`);
try {
  step('GET /auth/csrf');
  const { csrfToken } = await (await request('/auth/csrf')).json();

  step(`POST /auth/signin/email  (email=${email})`);
  const signin = await request('/auth/signin/email', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ email, csrfToken, callbackUrl: `${ORIGIN}/` }),
  });
  console.log(`  ${signin.status} → ${signin.headers.get('location')}`);

  const mail = outbox.at(-1);
  if (!mail) throw new Error('no verification mail was sent');
  console.log(`  outbox: to ${mail.to}, code ${mail.code}`);

  step('GET /auth/callback/email  (the user enters the code)');
  const callback = await request(
    emailCallbackUrl({
      email: mail.to,
      code: mail.code,
      callbackUrl: `${ORIGIN}/`,
      basePath: config.basePath,
    }),
  );
  console.log(`  ${callback.status} → ${callback.headers.get('location')}`);

  step('GET /auth/session');
  const session = await (await request('/auth/session')).json();
  if (!session?.user) throw new Error(`not signed in: ${JSON.stringify(session)}`);
  console.log(`  signed in as ${session.user.email}, expires ${session.expires}`);

  const user = await adapter.getUserByEmail(email);
  step('the ChatBotKit partner user behind the session');
  console.log(user);

  step('adapter calls');
  for (const { name, ms } of calls)
    console.log(`  ${name.padEnd(26)} ${ms.toFixed(2).padStart(8)} ms`);
  if (fake) console.log(`  Partner API requests: ${fake.calls()}`);
  console.log('\nSigned in. ✔');
} catch (error) {
  console.error('\nThe demo sign-in failed:', error);
  process.exitCode = 1;
} finally {
  await fake?.close();
}

if (process.exitCode !== 1 && process.stdout.isTTY && !process.argv.includes('--no-app')) {
  console.log('\nNow the same in a browser: starting the example app (Ctrl-C stops it)…\n');
  const { spawn } = await import('node:child_process');
  const app = spawn(process.execPath, [new URL('./demo-app.mjs', import.meta.url).pathname], {
    stdio: 'inherit',
  });
  process.on('SIGINT', () => app.kill('SIGINT'));
  app.on('exit', (code) => process.exit(code ?? 0));
}
