'use strict';

const { randomBytes } = require('node:crypto');
const { AdapterError } = require('./errors.js');

const FIFTEEN_MINUTES = 15 * 60;

/** A 6-character hex code from a cryptographic source. */
function generateVerificationCode() {
  return randomBytes(3).toString('hex');
}

/**
 * An Auth.js email provider whose verification token is a 6-character code
 * the user types, valid 15 minutes. You supply `sendVerificationRequest`
 * ({ identifier, token, url, expires, provider, request, theme }).
 */
function ChatBotKitEmailProvider(options = {}) {
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
    maxAge: FIFTEEN_MINUTES,
    generateVerificationToken: generateVerificationCode,
    ...options,
  };
  provider.options = options;
  return provider;
}

module.exports = { ChatBotKitEmailProvider, generateVerificationCode };
