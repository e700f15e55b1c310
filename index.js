'use strict';

// nextauth-chatbotkit: a native Auth.js / NextAuth.js adapter whose users are
// ChatBotKit partner users or contacts. The logic is in Rust (binding.js
// loads it); this file is the public JS surface.

const { ChatBotKitPartnerAdapter } = require('./lib/adapter.js');
const { ChatBotKitContactAdapter, ContactStore, ContactMemoryStore } = require('./lib/contact.js');
const { Store, MemoryStore, RedisStore } = require('./lib/stores.js');
const { ChatBotKitEmailProvider, ChatBotKitContactEmailProvider } = require('./lib/provider.js');
const { AdapterError } = require('./lib/errors.js');
const { createChatBotKitSession } = require('./lib/session.js');
const { emailCallbackUrl } = require('./lib/email.js');

module.exports = {
  ChatBotKitPartnerAdapter,
  ChatBotKitEmailProvider,
  Store,
  MemoryStore,
  ChatBotKitContactAdapter,
  ChatBotKitContactEmailProvider,
  ContactStore,
  ContactMemoryStore,
  RedisStore,
  AdapterError,
  createChatBotKitSession,
  emailCallbackUrl,
};
