'use strict';

// `nextauth-chatbotkit/partner/provider`: the names `@chatbotkit/nextauth/partner/provider` had.
const { ChatBotKitEmailProvider } = require('../index.js');

module.exports = {
  ChatBotKitEmailProvider,
};
