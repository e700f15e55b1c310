// Types of `nextauth-chatbotkit/contact/index`.
export {
  ChatBotKitContactAdapter,
  ChatBotKitContactEmailProvider,
  ContactStore,
  ContactMemoryStore,
  RedisStore,
  AdapterError,
  emailCallbackUrl,
} from '../index.js';
