// The adapter fits next-auth v4's Adapter (`next-auth/adapters`), as
// @chatbotkit/nextauth's did. next-auth v4 lives in ./v4 (see tsconfig.v4.json).
import type { Adapter } from 'next-auth/adapters';
import type { NextAuthOptions } from 'next-auth';
import { ChatBotKitPartnerAdapter, MemoryStore } from 'nextauth-chatbotkit';
import { ChatBotKitPartnerAdapter as PartnerAdapter } from 'nextauth-chatbotkit/partner';

const adapter = ChatBotKitPartnerAdapter({ secret: 'secret', store: new MemoryStore() });

export const v4: Adapter = adapter;
export const v4Partner: Adapter = PartnerAdapter({ secret: 'secret', store: new MemoryStore() });
export const options: NextAuthOptions = { adapter, providers: [] };

// @ts-expect-error v4's Adapter is not any object
export const notAnAdapter: Adapter = { getUser: 42 };
