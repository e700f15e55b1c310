// `nextauth-chatbotkit/contact/adapter` as an ES module: the same objects as the root's.
export { ChatBotKitContactAdapter, ContactStore, ContactMemoryStore } from '../index.mjs';
