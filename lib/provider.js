'use strict';

const { randomBytes } = require('node:crypto');
const { emailProvider } = require('./email.js');

/** A 6-character hex code from a cryptographic source. */
function generateVerificationCode() {
  return randomBytes(3).toString('hex');
}

/**
 * An Auth.js email provider whose verification token is a 6-character code
 * the user types, valid 15 minutes. Give it `sendVerificationRequest`
 * ({ identifier, token, url, expires, provider, request, theme }); without
 * one it prints the code in development and refuses in production.
 */
function ChatBotKitEmailProvider(options) {
  return emailProvider(options, generateVerificationCode, 'ChatBotKitEmailProvider');
}

/** The same provider, under the Contact family's name. */
function ChatBotKitContactEmailProvider(options) {
  return emailProvider(options, generateVerificationCode, 'ChatBotKitContactEmailProvider');
}

module.exports = {
  ChatBotKitEmailProvider,
  ChatBotKitContactEmailProvider,
  generateVerificationCode,
};
