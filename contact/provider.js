'use strict';

// `nextauth-chatbotkit/contact/provider`: the names `@chatbotkit/nextauth/contact/provider` had.
const { ChatBotKitContactEmailProvider } = require('../index.js');

module.exports = {
  ChatBotKitContactEmailProvider,
};
