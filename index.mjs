import cjs from './index.js';

export const {
  ChatBotKitPartnerAdapter,
  ChatBotKitEmailProvider,
  Store,
  MemoryStore,
  RedisStore,
  AdapterError,
  createChatBotKitSession,
} = cjs;
export default cjs;
