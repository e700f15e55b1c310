// `nextauth-chatbotkit/contact/provider` as an ES module: the same objects as the root's.
export { ChatBotKitContactEmailProvider } from '../index.mjs';
