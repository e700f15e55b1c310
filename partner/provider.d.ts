// Types of `nextauth-chatbotkit/partner/provider`.
export { ChatBotKitEmailProvider } from '../index.js';
