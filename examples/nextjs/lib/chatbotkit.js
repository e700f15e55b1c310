// Server-only configuration of the example, read from the environment:
//
//   CHATBOTKIT_API_SECRET  the ChatBotKit partner secret (required; `npm run demo:app`
//                          starts a local fake Partner API and sets it)
//   CHATBOTKIT_API_URL     the Partner API (default https://api.chatbotkit.com)
//   REDIS_URL              a RedisStore when set, else the in-process MemoryStore
//   AUTO_CREATE_USER       "true" lets a new email or OAuth identity sign up (default false)
//   FAKE_OAUTH_URL, FAKE_OAUTH_CLIENT_ID, FAKE_OAUTH_CLIENT_SECRET
//                          the local fake OAuth provider (set by `npm run demo:app`)
//   DEV_OUTBOX             "1" shows /dev/outbox outside `next dev`
//
// Next.js may evaluate this module more than once (the route handler, pages and
// server actions are separate bundles), so what must be shared (the store, the
// adapter, the outbox) lives on globalThis.

import { ChatBotKitPartnerAdapter, MemoryStore, RedisStore } from 'nextauth-chatbotkit';

const shared = (globalThis[Symbol.for('nextauth-chatbotkit.example')] ??= {
  adapter: null,
  outbox: [],
});

const truthy = (value) => /^(1|true|yes|on)$/i.test(String(value ?? '').trim());

/** What the adapter and `createChatBotKitSession` need to reach ChatBotKit. */
export function partnerOptions() {
  const secret = process.env.CHATBOTKIT_API_SECRET;
  if (!secret) {
    throw new Error(
      'CHATBOTKIT_API_SECRET is not set (`npm run demo:app` starts a fake Partner API and sets it)',
    );
  }
  return { secret, baseUrl: process.env.CHATBOTKIT_API_URL || undefined };
}

export function autoCreateUser() {
  return truthy(process.env.AUTO_CREATE_USER);
}

/** The one adapter of this process. */
export function adapter() {
  shared.adapter ??= ChatBotKitPartnerAdapter({
    ...partnerOptions(),
    store: process.env.REDIS_URL
      ? new RedisStore({ url: process.env.REDIS_URL })
      : new MemoryStore(),
    autoCreateUser: autoCreateUser(),
    // A sign-in looks the same user up a few times within a second.
    userCacheTtl: 2000,
  });
  return shared.adapter;
}

/** The fake OAuth provider's settings, or null when it is not configured. */
export function fakeOAuth() {
  const url = process.env.FAKE_OAUTH_URL;
  if (!url) return null;
  return {
    url: url.replace(/\/+$/, ''),
    clientId: process.env.FAKE_OAUTH_CLIENT_ID ?? 'nextauth-chatbotkit-example',
    clientSecret: process.env.FAKE_OAUTH_CLIENT_SECRET ?? 'fake-oauth-secret',
  };
}

/** Where the example "sends" its codes (newest last): there is no mailer. */
export const outbox = shared.outbox;

export function outboxEnabled() {
  return process.env.NODE_ENV !== 'production' || truthy(process.env.DEV_OUTBOX);
}

/**
 * Auth.js's own email normalisation (NFKC, lower case, trimmed, one `@`,
 * nothing after a comma in the domain), used both by the provider and by the
 * code form, so that the email in the callback matches the stored code's.
 */
export function normalizeEmail(input) {
  const email = String(input ?? '')
    .normalize('NFKC')
    .toLowerCase()
    .trim();
  const parts = email.split('@');
  if (email.includes('"') || parts.length !== 2 || !parts[0] || !parts[1]) {
    throw new Error('Invalid email address format.');
  }
  const domain = parts[1].split(',')[0];
  if (!domain) throw new Error('Invalid email address format.');
  return `${parts[0]}@${domain}`;
}
