'use strict';

const { randomBytes } = require('node:crypto');
const { AdapterError } = require('./errors.js');

const FIFTEEN_MINUTES = 15 * 60;

/** A 6-character hex code from a cryptographic source. */
function generateVerificationCode() {
  return randomBytes(3).toString('hex');
}

/**
 * The `sendVerificationRequest` used when none is given: in development it
 * prints the code (as the original package did); in production it refuses,
 * since nobody would ever receive the code.
 */
function defaultSender(providerName) {
  return async function sendVerificationRequest({ identifier, token }) {
    if (process.env.NODE_ENV === 'production') {
      throw new AdapterError(
        'CONFIG',
        `${providerName} has no sendVerificationRequest: pass one that sends the code to the user (the default only prints it, and only outside production)`,
      );
    }
    console.log(`[nextauth-chatbotkit] sign-in code for ${identifier}: ${token}`);
    console.log(`[nextauth-chatbotkit] pass sendVerificationRequest to ${providerName} to send it`);
  };
}

function emailProvider(providerName, options) {
  if (options == null) options = {};
  if (typeof options !== 'object') {
    throw new AdapterError('CONFIG', `${providerName} options must be an object`);
  }
  if (
    options.sendVerificationRequest !== undefined &&
    typeof options.sendVerificationRequest !== 'function'
  ) {
    throw new AdapterError('CONFIG', `${providerName}: sendVerificationRequest must be a function`);
  }
  const provider = {
    id: 'email',
    type: 'email',
    name: 'Email',
    from: 'no-reply@localhost',
    maxAge: FIFTEEN_MINUTES,
    generateVerificationToken: generateVerificationCode,
    sendVerificationRequest: defaultSender(providerName),
    ...options,
  };
  provider.options = options;
  return provider;
}

/**
 * An Auth.js email provider whose verification token is a 6-character code
 * the user types, valid 15 minutes. Give it `sendVerificationRequest`
 * ({ identifier, token, url, expires, provider, request, theme }); without
 * one it prints the code in development and refuses in production.
 */
function ChatBotKitEmailProvider(options) {
  return emailProvider('ChatBotKitEmailProvider', options);
}

/** The same provider, under the Contact family's name. */
function ChatBotKitContactEmailProvider(options) {
  return emailProvider('ChatBotKitContactEmailProvider', options);
}

module.exports = {
  ChatBotKitEmailProvider,
  ChatBotKitContactEmailProvider,
  generateVerificationCode,
};
