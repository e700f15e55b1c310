'use strict';

// nextauth-chatbotkit: a native Auth.js / NextAuth.js adapter whose users are
// ChatBotKit partner users. The logic is in Rust (binding.js loads it); this
// file is the public JS surface.

const { ChatBotKitPartnerAdapter } = require('./lib/adapter.js');
const { Store, MemoryStore, RedisStore } = require('./lib/stores.js');
const { ChatBotKitEmailProvider } = require('./lib/provider.js');
const { AdapterError } = require('./lib/errors.js');
const { createChatBotKitSession } = require('./lib/session.js');
const { emailCallbackUrl } = require('./lib/email.js');

module.exports = {
  ChatBotKitPartnerAdapter,
  ChatBotKitEmailProvider,
  Store,
  MemoryStore,
  RedisStore,
  AdapterError,
  createChatBotKitSession,
  emailCallbackUrl,
};
