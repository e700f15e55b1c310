// Types of `nextauth-chatbotkit/contact/adapter`.
export { ChatBotKitContactAdapter, ContactStore, ContactMemoryStore } from '../index.js';
