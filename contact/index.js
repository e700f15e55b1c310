'use strict';

// `nextauth-chatbotkit/contact`: the names `@chatbotkit/nextauth/contact` had, and this
// package's additions.
const {
  ChatBotKitContactAdapter,
  ChatBotKitContactEmailProvider,
  ContactStore,
  ContactMemoryStore,
  RedisStore,
  AdapterError,
  emailCallbackUrl,
} = require('../index.js');

module.exports = {
  ChatBotKitContactAdapter,
  ChatBotKitContactEmailProvider,
  ContactStore,
  ContactMemoryStore,
  RedisStore,
  AdapterError,
  emailCallbackUrl,
};
