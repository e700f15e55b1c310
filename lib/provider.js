'use strict';

const { randomBytes } = require('node:crypto');
const { emailProvider } = require('./email.js');

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
  return emailProvider(options, generateVerificationCode);
}

module.exports = { ChatBotKitEmailProvider, generateVerificationCode };
