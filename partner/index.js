'use strict';

// `nextauth-chatbotkit/partner`: the names `@chatbotkit/nextauth/partner` had, and this
// package's additions.
const {
  ChatBotKitPartnerAdapter,
  ChatBotKitEmailProvider,
  Store,
  MemoryStore,
  RedisStore,
  AdapterError,
  emailCallbackUrl,
  createChatBotKitSession,
} = require('../index.js');

module.exports = {
  ChatBotKitPartnerAdapter,
  ChatBotKitEmailProvider,
  Store,
  MemoryStore,
  RedisStore,
  AdapterError,
  emailCallbackUrl,
  createChatBotKitSession,
};
