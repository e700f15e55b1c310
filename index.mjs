import cjs from './index.js';

export const {
  ChatBotKitPartnerAdapter,
  ChatBotKitEmailProvider,
  Store,
  MemoryStore,
  RedisStore,
  AdapterError,
} = cjs;
export default cjs;
