// Types of `nextauth-chatbotkit/contact/provider`.
export { ChatBotKitContactEmailProvider } from '../index.js';
