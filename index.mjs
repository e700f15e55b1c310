import cjs from './index.js';

export const {
  ChatBotKitPartnerAdapter,
  ChatBotKitEmailProvider,
  Store,
  MemoryStore,
  RedisStore,
  AdapterError,
  createChatBotKitSession,
  emailCallbackUrl,
} = cjs;
export default cjs;
