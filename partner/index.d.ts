// Types of `nextauth-chatbotkit/partner/index`.
export {
  ChatBotKitPartnerAdapter,
  ChatBotKitEmailProvider,
  Store,
  MemoryStore,
  RedisStore,
  AdapterError,
  createChatBotKitSession,
} from '../index.js';
