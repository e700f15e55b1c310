// `nextauth-chatbotkit/partner/provider` as an ES module: the same objects as the root's.
export { ChatBotKitEmailProvider } from '../index.mjs';
