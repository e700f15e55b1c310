// Types of `nextauth-chatbotkit/partner/index`.
export {
  ChatBotKitPartnerAdapter,
  ChatBotKitEmailProvider,
  Store,
  MemoryStore,
  RedisStore,
  AdapterError,
  emailCallbackUrl,
  createChatBotKitSession,
} from '../index.js';
