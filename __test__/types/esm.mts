// The same package from an ES module (the `import` condition of `exports`).
import type { Adapter } from '@auth/core/adapters';
import { ChatBotKitPartnerAdapter, MemoryStore } from 'nextauth-chatbotkit';
import defaultExport from 'nextauth-chatbotkit';
import { startFakePartnerApi } from 'nextauth-chatbotkit/testing';

export const adapter: Adapter = ChatBotKitPartnerAdapter({ secret: 's', store: new MemoryStore() });
export const viaDefault: Adapter = defaultExport.ChatBotKitPartnerAdapter({
  secret: 's',
  store: new defaultExport.MemoryStore(),
});
export const start: typeof startFakePartnerApi = startFakePartnerApi;
