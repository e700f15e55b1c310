'use strict';

// `nextauth-chatbotkit/partner/adapter`: the names `@chatbotkit/nextauth/partner/adapter` had.
const { ChatBotKitPartnerAdapter, Store, MemoryStore } = require('../index.js');

module.exports = {
  ChatBotKitPartnerAdapter,
  Store,
  MemoryStore,
};
