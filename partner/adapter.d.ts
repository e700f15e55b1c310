// Types of `nextauth-chatbotkit/partner/adapter`.
export { ChatBotKitPartnerAdapter, Store, MemoryStore } from '../index.js';
