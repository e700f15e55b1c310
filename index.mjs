import cjs from './index.js';

export const {
  ChatBotKitPartnerAdapter,
  ChatBotKitEmailProvider,
  Store,
  MemoryStore,
  ChatBotKitContactAdapter,
  ChatBotKitContactEmailProvider,
  ContactStore,
  ContactMemoryStore,
  RedisStore,
  AdapterError,
  createChatBotKitSession,
  emailCallbackUrl,
} = cjs;
export default cjs;
