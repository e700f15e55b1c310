// The adapter and the email provider fit @auth/core (Auth.js v5, next-auth v5).
import type { Adapter, AdapterUser, AdapterAccount, AdapterSession } from '@auth/core/adapters';
import type { AuthConfig } from '@auth/core';
import type { Provider } from '@auth/core/providers';
import {
  ChatBotKitPartnerAdapter,
  ChatBotKitEmailProvider,
  MemoryStore,
  RedisStore,
  type ChatBotKitUser,
} from 'nextauth-chatbotkit';
import { ChatBotKitPartnerAdapter as PartnerAdapter } from 'nextauth-chatbotkit/partner';

const adapter = ChatBotKitPartnerAdapter({
  secret: 'secret',
  store: new MemoryStore(),
  autoCreateUser: true,
});

// Assignable to Auth.js's Adapter, with every method present.
export const asAdapter: Adapter = adapter;
export const required: Required<
  Pick<
    Adapter,
    | 'createUser'
    | 'getUser'
    | 'getUserByEmail'
    | 'getUserByAccount'
    | 'updateUser'
    | 'deleteUser'
    | 'linkAccount'
    | 'unlinkAccount'
    | 'getAccount'
    | 'createSession'
    | 'getSessionAndUser'
    | 'updateSession'
    | 'deleteSession'
    | 'createVerificationToken'
    | 'useVerificationToken'
    | 'createAuthenticator'
    | 'getAuthenticator'
    | 'listAuthenticatorsByUserId'
    | 'updateAuthenticatorCounter'
  >
> = adapter;

// The drop-in path (`@chatbotkit/nextauth/partner`) has the same function.
export const fromPartner: Adapter = PartnerAdapter({
  secret: 'secret',
  store: new RedisStore({ url: 'redis://localhost:6379' }),
});

// Results are Auth.js shapes.
export async function shapes(): Promise<void> {
  const user: AdapterUser | null = await adapter.getUser('usr_1');
  const ours: ChatBotKitUser | null = user;
  const sessionAndUser: { session: AdapterSession; user: AdapterUser } | null =
    await adapter.getSessionAndUser('token');
  const account: AdapterAccount | null = await adapter.getAccount('123', 'github');
  const expires: Date | undefined = sessionAndUser?.session.expires;
  void ours;
  void account;
  void expires;
}

// The provider goes in an Auth.js config as it is.
const provider: Provider = ChatBotKitEmailProvider({
  async sendVerificationRequest({ identifier, token, expires }) {
    const to: string = identifier;
    const code: string = token;
    const until: Date = expires;
    void to;
    void code;
    void until;
  },
});

export const config: AuthConfig = {
  adapter,
  providers: [provider],
  session: { strategy: 'database' },
};
