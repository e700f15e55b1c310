'use strict';

// `nextauth-chatbotkit/testing`: a local fake ChatBotKit Partner API for tests.
const { startFakePartnerApi } = require('./fake-partner-api.js');

module.exports = { startFakePartnerApi };
