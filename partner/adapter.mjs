// `nextauth-chatbotkit/partner/adapter` as an ES module: the same objects as the root's.
export { ChatBotKitPartnerAdapter, Store, MemoryStore } from '../index.mjs';
