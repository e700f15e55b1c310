'use strict';

// The email-code parts that need neither the native addon nor Node.js: the
// provider's shape and the callback URL a typed code goes to. Shared by the
// Node entry and by the Edge / browser stub (lib/edge.js).

const { AdapterError } = require('./errors.js');

const FIFTEEN_MINUTES = 15 * 60;

/**
 * An Auth.js email provider whose verification token is a code the user
 * types (`generateVerificationToken` makes it), valid 15 minutes.
 */
function emailProvider(options, generateVerificationToken) {
  if (!options || typeof options.sendVerificationRequest !== 'function') {
    throw new AdapterError(
      'CONFIG',
      'ChatBotKitEmailProvider needs a sendVerificationRequest function',
    );
  }
  const provider = {
    id: 'email',
    type: 'email',
    name: 'Email',
    from: 'no-reply@localhost',
    // Not used (sendVerificationRequest sends the mail); next-auth v4's type asks for it.
    server: '',
    maxAge: FIFTEEN_MINUTES,
    generateVerificationToken,
    ...options,
  };
  provider.options = options;
  return provider;
}

/**
 * Where a typed code goes: Auth.js's email callback,
 * `/api/auth/callback/email?token=<code>&email=<email>` (and `callbackUrl`
 * when given). The code is tidied as people type it (spaces dropped, lower
 * case); the email is trimmed. `basePath` is Auth.js's (default `/api/auth`),
 * `provider` the email provider's id (default `email`).
 */
function emailCallbackUrl({
  email,
  code,
  callbackUrl,
  basePath = '/api/auth',
  provider = 'email',
} = {}) {
  const params = new URLSearchParams({
    token: String(code ?? '')
      .replace(/\s+/g, '')
      .toLowerCase(),
    email: String(email ?? '').trim(),
  });
  if (callbackUrl != null && callbackUrl !== '') params.set('callbackUrl', String(callbackUrl));
  const base = String(basePath).replace(/\/+$/, '');
  return `${base}/callback/${encodeURIComponent(provider)}?${params}`;
}

module.exports = { emailProvider, emailCallbackUrl };
