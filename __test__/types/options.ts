// Good options compile, bad ones do not (each @ts-expect-error must see an error).
import {
  AdapterError,
  ChatBotKitContactAdapter,
  ChatBotKitContactEmailProvider,
  ChatBotKitEmailProvider,
  ChatBotKitPartnerAdapter,
  ContactMemoryStore,
  ContactStore,
  MemoryStore,
  RedisStore,
  Store,
  createChatBotKitSession,
  emailCallbackUrl,
  type AdapterErrorCode,
  type ChatBotKitSession,
  type KeyValueStore,
} from 'nextauth-chatbotkit';
import {
  startFakePartnerApi,
  type FakeContact,
  type FakePartnerApi,
  type FakePartnerUser,
  type FakePartnerUserSeed,
} from 'nextauth-chatbotkit/testing';

const store = new MemoryStore();

// Every documented option, with its type.
ChatBotKitPartnerAdapter({
  secret: 'secret',
  store,
  autoCreateUser: true,
  autoUpdateUser: false,
  autoDeleteUser: false,
  baseUrl: 'https://api.chatbotkit.com',
  timeout: 10_000,
  retries: 3,
  retryDelay: 250,
  keyPrefix: 'app:',
  maxVerificationAttempts: 5,
  userCacheTtl: 0,
});

// @ts-expect-error `secret` is required
ChatBotKitPartnerAdapter({ store });
// @ts-expect-error `store` is required
ChatBotKitPartnerAdapter({ secret: 'secret' });
// @ts-expect-error `secret` is a string
ChatBotKitPartnerAdapter({ secret: 42, store });
// @ts-expect-error `autoCreateUser` is a boolean
ChatBotKitPartnerAdapter({ secret: 'secret', store, autoCreateUser: 'yes' });
// @ts-expect-error `timeout` is a number of ms
ChatBotKitPartnerAdapter({ secret: 'secret', store, timeout: '10s' });
// @ts-expect-error unknown option (a typo of autoCreateUser)
ChatBotKitPartnerAdapter({ secret: 'secret', store, autoCreateUsers: true });
// @ts-expect-error options are required
ChatBotKitPartnerAdapter();

// The Contact adapter: its own lifecycle names, the partner adapter's other options.
ChatBotKitContactAdapter({
  secret: 'secret',
  store: new ContactMemoryStore(),
  autoCreateContact: true,
  autoUpdateContact: true,
  autoDeleteContact: false,
  baseUrl: 'https://api.chatbotkit.com',
  keyPrefix: 'app:',
  userCacheTtl: 0,
});
// @ts-expect-error `autoCreateUser` is the partner adapter's name
ChatBotKitContactAdapter({ secret: 'secret', store, autoCreateUser: true });
// @ts-expect-error `autoCreateContact` is a boolean
ChatBotKitContactAdapter({ secret: 'secret', store, autoCreateContact: 1 });
// @ts-expect-error `secret` is required
ChatBotKitContactAdapter({ store });
class MapContactStore extends ContactStore {
  override async get() {
    return null;
  }
}
ChatBotKitContactAdapter({ secret: 's', store: new MapContactStore() });

// Stores: the native ones, a Store subclass, any { get, set, del } object.
class MapStore extends Store {
  #map = new Map<string, unknown>();
  override async get(key: string) {
    return this.#map.get(key) ?? null;
  }
  override async set(key: string, value: unknown) {
    this.#map.set(key, value);
  }
  override async del(key: string) {
    this.#map.delete(key);
  }
}
const plain: KeyValueStore = {
  get: async () => null,
  set: async (_key, _value, options) => options?.px,
  del: async () => 0,
};
ChatBotKitPartnerAdapter({ secret: 's', store: new MapStore() });
ChatBotKitPartnerAdapter({ secret: 's', store: plain });
ChatBotKitPartnerAdapter({ secret: 's', store: new RedisStore({ cluster: ['redis://a:6379'] }) });
// @ts-expect-error `url` is a string
new RedisStore({ url: 6379 });
// @ts-expect-error `cluster` is a list of URLs
new RedisStore({ cluster: 'redis://a' });

// The quick start under `strict`: variables that may be unset are accepted
// (checked at the first call, so `next build` needs none of them).
declare const env: Record<string, string | undefined>;
ChatBotKitPartnerAdapter({
  secret: env.CHATBOTKIT_API_SECRET,
  store: env.REDIS_URL ? new RedisStore({ url: env.REDIS_URL }) : new MemoryStore(),
});
ChatBotKitPartnerAdapter({
  secret: env.CHATBOTKIT_API_SECRET,
  store: new RedisStore({ url: env.REDIS_URL }),
});
createChatBotKitSession({ secret: env.CHATBOTKIT_API_SECRET }, 'usr_1');
new MemoryStore({ name: 'tests' });
// @ts-expect-error a MemoryStore name is a string
new MemoryStore({ name: 1 });
const callback: string = emailCallbackUrl({ email: 'a@b.c', code: 'abc123', callbackUrl: '/' });
void callback;
// @ts-expect-error `px` is a number
plain.set('k', 'v', { px: '1000' });

// The email providers: every option is optional, as in @chatbotkit/nextauth.
ChatBotKitEmailProvider({ sendVerificationRequest: () => {}, maxAge: 600, from: 'me@example.com' });
ChatBotKitEmailProvider();
ChatBotKitContactEmailProvider({});
// @ts-expect-error sendVerificationRequest is a function
ChatBotKitEmailProvider({ sendVerificationRequest: 'send' });
// @ts-expect-error maxAge is a number of seconds
ChatBotKitEmailProvider({ sendVerificationRequest: () => {}, maxAge: '15m' });

// ChatBotKit sessions.
export async function sessions(): Promise<void> {
  const session: ChatBotKitSession = await createChatBotKitSession(
    { secret: 's', baseUrl: 'http://127.0.0.1:1' },
    'usr_1',
    { durationInSeconds: 3600, allowedRoutes: ['/v1/conversation/list'] },
  );
  const expiresAt: Date = session.expiresAt;
  void expiresAt;
  // @ts-expect-error the user id is a string
  await createChatBotKitSession({ secret: 's' }, 42);
  // @ts-expect-error durationInSeconds is a number
  await createChatBotKitSession({ secret: 's' }, 'usr_1', { durationInSeconds: '1h' });
  // @ts-expect-error the session needs the partner secret
  await createChatBotKitSession({ baseUrl: 'http://x' }, 'usr_1');
}

// Errors carry a closed set of codes.
export function codes(error: unknown): AdapterErrorCode | null {
  if (error instanceof AdapterError) {
    // @ts-expect-error not a code
    const wrong: AdapterErrorCode = 'NOPE';
    void wrong;
    return error.code;
  }
  return null;
}

// The testing export.
export async function fake(): Promise<FakePartnerApi> {
  const api = await startFakePartnerApi({ users: [{ email: 'a@example.com' }] });
  api.fail({ op: 'create', status: 503, times: 2 });
  // @ts-expect-error not an operation
  api.fail({ op: 'explode' });
  return api;
}

// Users and contacts have the fields of their seeds, and their own.
export function seeded(api: FakePartnerApi): string {
  const user: FakePartnerUser = api.addUser({ email: 'b@example.com', createdAt: new Date() });
  const contact: FakeContact = api.addContact({ email: 'c@example.com', fingerprint: 'fp_1' });
  // @ts-expect-error a user's id is a string
  const wrong: FakePartnerUserSeed = { id: 1 };
  void wrong;
  const email: string | undefined = user.email;
  const phone: string | undefined = contact.phone;
  const fingerprint: string = contact.fingerprint;
  const created: number = user.createdAt;
  return `${email} ${phone} ${fingerprint} ${created}`;
}
