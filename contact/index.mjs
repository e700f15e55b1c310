// `nextauth-chatbotkit/contact/index` as an ES module: the same objects as the root's.
export {
  ChatBotKitContactAdapter,
  ChatBotKitContactEmailProvider,
  ContactStore,
  ContactMemoryStore,
  RedisStore,
  AdapterError,
  emailCallbackUrl,
} from '../index.mjs';
