// Types of `nextauth-chatbotkit/contact/index`.
export {
  ChatBotKitContactAdapter,
  ChatBotKitContactEmailProvider,
  ContactStore,
  ContactMemoryStore,
  RedisStore,
  AdapterError,
} from '../index.js';
