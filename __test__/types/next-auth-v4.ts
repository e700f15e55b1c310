// The adapter fits next-auth v4's Adapter (`next-auth/adapters`), as
// @chatbotkit/nextauth's did. next-auth v4 lives in ./v4 (see tsconfig.v4.json).
import type { Adapter } from 'next-auth/adapters';
import type { NextAuthOptions } from 'next-auth';
import {
  ChatBotKitEmailProvider,
  ChatBotKitPartnerAdapter,
  MemoryStore,
  RedisStore,
} from 'nextauth-chatbotkit';
import { ChatBotKitPartnerAdapter as PartnerAdapter } from 'nextauth-chatbotkit/partner';

const adapter = ChatBotKitPartnerAdapter({ secret: 'secret', store: new MemoryStore() });

export const v4: Adapter = adapter;
export const v4Partner: Adapter = PartnerAdapter({ secret: 'secret', store: new MemoryStore() });
export const options: NextAuthOptions = { adapter, providers: [] };

// @ts-expect-error v4's Adapter is not any object
export const notAnAdapter: Adapter = { getUser: 42 };

declare const process: { env: Record<string, string | undefined> };

// The quick start's shapes fit v4's options too: the provider in `providers`,
// an unset secret (checked at the first call).
export const withEmail: NextAuthOptions = {
  adapter: ChatBotKitPartnerAdapter({
    secret: process.env.CHATBOTKIT_API_SECRET,
    store: new RedisStore({ url: process.env.REDIS_URL }),
  }),
  providers: [
    ChatBotKitEmailProvider({
      async sendVerificationRequest({ identifier, token }) {
        console.log(identifier, token);
      },
    }),
  ],
};
