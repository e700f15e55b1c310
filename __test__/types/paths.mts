// Every import path of @chatbotkit/nextauth's exports map, under this
// package's name, with the names and types it had there.
import type { Adapter } from '@auth/core/adapters';
import type { Provider } from '@auth/core/providers';
import * as root from 'nextauth-chatbotkit';
import * as rootIndex from 'nextauth-chatbotkit/index';
import * as rootIndexJs from 'nextauth-chatbotkit/index.js';
import * as partner from 'nextauth-chatbotkit/partner';
import * as partnerIndex from 'nextauth-chatbotkit/partner/index';
import * as partnerIndexJs from 'nextauth-chatbotkit/partner/index.js';
import * as partnerAdapter from 'nextauth-chatbotkit/partner/adapter';
import * as partnerAdapterJs from 'nextauth-chatbotkit/partner/adapter.js';
import * as partnerProvider from 'nextauth-chatbotkit/partner/provider';
import * as partnerProviderJs from 'nextauth-chatbotkit/partner/provider.js';
import * as contact from 'nextauth-chatbotkit/contact';
import * as contactIndex from 'nextauth-chatbotkit/contact/index';
import * as contactIndexJs from 'nextauth-chatbotkit/contact/index.js';
import * as contactAdapter from 'nextauth-chatbotkit/contact/adapter';
import * as contactAdapterJs from 'nextauth-chatbotkit/contact/adapter.js';
import * as contactProvider from 'nextauth-chatbotkit/contact/provider';
import * as contactProviderJs from 'nextauth-chatbotkit/contact/provider.js';

for (const m of [root, rootIndex, rootIndexJs, partner, partnerIndex, partnerIndexJs]) {
  const adapter: Adapter = m.ChatBotKitPartnerAdapter({ secret: 's', store: new m.MemoryStore() });
  const provider: Provider = m.ChatBotKitEmailProvider();
  const store: InstanceType<typeof m.Store> = new m.MemoryStore();
  void [adapter, provider, store];
}
for (const m of [partnerAdapter, partnerAdapterJs]) {
  const adapter: Adapter = m.ChatBotKitPartnerAdapter({ secret: 's', store: new m.MemoryStore() });
  const store: InstanceType<typeof m.Store> = new m.MemoryStore();
  void [adapter, store];
}
for (const m of [partnerProvider, partnerProviderJs]) {
  const provider: Provider = m.ChatBotKitEmailProvider({ sendVerificationRequest: () => {} });
  void provider;
}
for (const m of [root, rootIndex, rootIndexJs, contact, contactIndex, contactIndexJs]) {
  const adapter: Adapter = m.ChatBotKitContactAdapter({
    secret: 's',
    store: new m.ContactMemoryStore(),
    autoCreateContact: true,
  });
  const provider: Provider = m.ChatBotKitContactEmailProvider();
  const store: InstanceType<typeof m.ContactStore> = new m.ContactMemoryStore();
  void [adapter, provider, store];
}
for (const m of [contactAdapter, contactAdapterJs]) {
  const adapter: Adapter = m.ChatBotKitContactAdapter({
    secret: 's',
    store: new m.ContactMemoryStore(),
  });
  void adapter;
}
for (const m of [contactProvider, contactProviderJs]) {
  const provider: Provider = m.ChatBotKitContactEmailProvider({});
  void provider;
}

// @ts-expect-error the adapter subpath has no provider, as in the original
void partnerAdapter.ChatBotKitEmailProvider;
// @ts-expect-error the provider subpath has no adapter
void contactProvider.ChatBotKitContactAdapter;
