// `nextauth-chatbotkit/partner/index` as an ES module: the same objects as the root's.
export {
  ChatBotKitPartnerAdapter,
  ChatBotKitEmailProvider,
  Store,
  MemoryStore,
  RedisStore,
  AdapterError,
  emailCallbackUrl,
  createChatBotKitSession,
} from '../index.mjs';
