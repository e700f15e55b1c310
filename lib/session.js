'use strict';

const { NativePartner } = require('../binding.js');
const { AdapterError, messageOf } = require('./errors.js');
const { unwrap } = require('./codec.js');
const { settled } = require('./outbox.js');
const { pickNativeOptions, optionsJson } = require('./adapter.js');

// One native client (one connection pool) per distinct configuration.
const clients = new Map();
const MAX_CLIENTS = 16;

function clientFor(options) {
  const json = optionsJson(pickNativeOptions(options));
  // Rust reads CHATBOTKIT_API_URL (baseUrl's default) when it makes a
  // client: a client made under another value is another configuration.
  const key = `${process.env.CHATBOTKIT_API_URL ?? ''}\n${json}`;
  let client = clients.get(key);
  if (!client) {
    try {
      client = new NativePartner(json);
    } catch (e) {
      throw new AdapterError('CONFIG', messageOf(e));
    }
    if (clients.size >= MAX_CLIENTS) clients.delete(clients.keys().next().value);
    clients.set(key, client);
  }
  return client;
}

/**
 * Asks the Partner API for a short-lived token scoped to one partner user's
 * own ChatBotKit environment, so a browser can talk to ChatBotKit without
 * ever seeing the partner secret. `options` are the adapter's options
 * (`secret`, `baseUrl`, `timeout`, `retries`, ...).
 *
 * Resolves to `{ id, token, expiresAt: Date }`.
 */
async function createChatBotKitSession(options, userId, params = {}) {
  const client = clientFor(options);
  // A lone surrogate would be replaced on the way into Rust, naming another
  // user: refuse it, as the adapter methods do.
  if (typeof userId !== 'string' || userId === '' || !userId.isWellFormed()) {
    throw new AdapterError('INVALID_INPUT', 'the user id must be a non-empty, well-formed string');
  }
  const { durationInSeconds, allowedRoutes, contactId } = params ?? {};
  let json;
  try {
    json = JSON.stringify({ durationInSeconds, allowedRoutes, contactId });
  } catch (e) {
    throw new AdapterError('INVALID_INPUT', `session options: ${messageOf(e)}`);
  }
  return unwrap(await settled(client.createSession(userId, json)));
}

module.exports = { createChatBotKitSession };
