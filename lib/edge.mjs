// ESM entry of the Edge / worker / browser stub (see edge.js).
import cjs from './edge.js';

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
