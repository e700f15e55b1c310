'use strict';

// `nextauth-chatbotkit/contact/adapter`: the names `@chatbotkit/nextauth/contact/adapter` had.
const { ChatBotKitContactAdapter, ContactStore, ContactMemoryStore } = require('../index.js');

module.exports = {
  ChatBotKitContactAdapter,
  ContactStore,
  ContactMemoryStore,
};
