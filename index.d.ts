// Types of nextauth-chatbotkit. The shapes mirror @auth/core's adapter types
// (declared here so the package needs no type dependency); the adapter is
// assignable to `Adapter` from `@auth/core/adapters` and `next-auth/adapters`.

/** An Auth.js user backed by a ChatBotKit partner user or contact. */
export interface ChatBotKitUser {
  /** The ChatBotKit partner user id, or contact id. */
  id: string;
  email: string;
  emailVerified: Date | null;
  name?: string | null;
  image?: string | null;
}

/** A JSON value, as Auth.js types account fields. */
export type JsonValue =
  string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue | undefined };

export interface AdapterAccount {
  userId: string;
  type: 'oauth' | 'oidc' | 'email' | 'webauthn';
  provider: string;
  providerAccountId: string;
  access_token?: string;
  refresh_token?: string;
  expires_at?: number;
  token_type?: Lowercase<string>;
  scope?: string;
  id_token?: string;
  session_state?: JsonValue;
  [key: string]: JsonValue | undefined;
}

export interface AdapterSession {
  sessionToken: string;
  userId: string;
  expires: Date;
}

export interface VerificationToken {
  identifier: string;
  token: string;
  expires: Date;
}

export interface AdapterAuthenticator {
  credentialID: string;
  userId: string;
  providerAccountId: string;
  credentialPublicKey: string;
  counter: number;
  credentialDeviceType: string;
  credentialBackedUp: boolean;
  transports?: string | null;
}

/** The adapter: a plain object of functions (safe to call unbound). */
export interface ChatBotKitPartnerAdapter {
  createUser(user: Omit<ChatBotKitUser, 'id'> & { id?: string }): Promise<ChatBotKitUser>;
  getUser(id: string): Promise<ChatBotKitUser | null>;
  getUserByEmail(email: string): Promise<ChatBotKitUser | null>;
  getUserByAccount(
    providerAccountId: Pick<AdapterAccount, 'provider' | 'providerAccountId'>,
  ): Promise<ChatBotKitUser | null>;
  updateUser(user: Partial<ChatBotKitUser> & Pick<ChatBotKitUser, 'id'>): Promise<ChatBotKitUser>;
  deleteUser(userId: string): Promise<void>;
  linkAccount(account: AdapterAccount): Promise<AdapterAccount | null | undefined>;
  /** Resolves to the removed account (or null) at run time. */
  unlinkAccount(
    providerAccountId: Pick<AdapterAccount, 'provider' | 'providerAccountId'>,
  ): Promise<void>;
  getAccount(providerAccountId: string, provider: string): Promise<AdapterAccount | null>;
  createSession(session: AdapterSession): Promise<AdapterSession>;
  getSessionAndUser(
    sessionToken: string,
  ): Promise<{ session: AdapterSession; user: ChatBotKitUser } | null>;
  updateSession(
    session: Partial<AdapterSession> & Pick<AdapterSession, 'sessionToken'>,
  ): Promise<AdapterSession | null | undefined>;
  deleteSession(sessionToken: string): Promise<AdapterSession | null>;
  createVerificationToken(token: VerificationToken): Promise<VerificationToken | null | undefined>;
  useVerificationToken(params: {
    identifier: string;
    token: string;
  }): Promise<VerificationToken | null>;
  createAuthenticator(authenticator: AdapterAuthenticator): Promise<AdapterAuthenticator>;
  getAuthenticator(credentialID: string): Promise<AdapterAuthenticator | null>;
  listAuthenticatorsByUserId(userId: string): Promise<AdapterAuthenticator[]>;
  updateAuthenticatorCounter(
    credentialID: string,
    newCounter: number,
  ): Promise<AdapterAuthenticator>;
}

/** What `set` receives as its third argument. */
export interface StoreSetOptions {
  /** Time to live in milliseconds. */
  px?: number;
}

/**
 * The store contract. Any object of this shape works (Upstash Redis and
 * Vercel KV clients have it as they are); ioredis and node-redis clients are
 * recognised and adapted.
 */
export interface KeyValueStore {
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown, options?: StoreSetOptions): Promise<unknown>;
  del(key: string): Promise<unknown>;
  /** Read and delete in one step; used for single-use tokens when present. */
  getdel?(key: string): Promise<unknown>;
}

/** Base class for stores written in JS. */
export declare class Store implements KeyValueStore {
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown, options?: StoreSetOptions): Promise<unknown>;
  del(key: string): Promise<unknown>;
}

export interface MemoryStoreOptions {
  /** Stores of one name share their entries process-wide (default `'default'`). */
  name?: string;
}

/**
 * The native in-memory store, for development and tests: every
 * `new MemoryStore()` of a process shares one set of entries (Next.js
 * evaluates `auth.ts` once per bundle); give a `name` for a separate one.
 */
export declare class MemoryStore extends Store {
  constructor(options?: MemoryStoreOptions);
  getdel(key: string): Promise<unknown>;
  /** Entries held, expired ones not yet swept included. */
  readonly size: number;
  /** Drops every expired entry now. */
  sweep(): void;
  clear(): void;
}

/** One of `url` or `cluster`. */
export interface RedisStoreOptions {
  /**
   * `redis://` or `rediss://` (TLS) URL, e.g. `process.env.REDIS_URL`. When it
   * is unset (as while `next build` runs) the first use throws `CONFIG`.
   */
  url?: string | undefined;
  /** Seed node URLs of a Redis Cluster (instead of `url`). */
  cluster?: string[];
  /** Deadline of one Redis command in ms (default 5000). */
  timeout?: number;
  /**
   * Prepended to this store's keys (default '').
   * @deprecated Use the adapter's `keyPrefix`. Kept for deployments that
   * have one: an adapter over this store puts it before its own `keyPrefix`,
   * so their keys stay where they are (see the README's Key layout).
   */
  keyPrefix?: string;
  /** For `rediss://`: trust this CA (PEM) instead of the public web roots. */
  tls?: { ca?: string };
}

/** The native Redis / Redis Cluster store (production default); connects on first use. */
export declare class RedisStore extends Store {
  constructor(options: RedisStoreOptions);
  getdel(key: string): Promise<unknown>;
  /** Drops the connection; optional, an idle process exits without it. */
  close(): void;
}

/** Any store the adapter accepts. */
export type AnyStore = MemoryStore | RedisStore | KeyValueStore | object;

export interface ChatBotKitPartnerAdapterOptions {
  /**
   * The ChatBotKit partner secret, e.g. `process.env.CHATBOTKIT_API_SECRET`.
   * When it is unset (as while `next build` runs) the first call throws
   * `CONFIG`. Never logged.
   */
  secret: string | undefined;
  /** Where sessions, accounts, tokens and authenticators live (required). */
  store: AnyStore;
  /** Let sign-in create partner users (default false). */
  autoCreateUser?: boolean;
  /** Let the adapter update partner users (default true). */
  autoUpdateUser?: boolean;
  /** Let the adapter delete partner users (default false). */
  autoDeleteUser?: boolean;
  /** Default: `CHATBOTKIT_API_URL` when set, else `https://api.chatbotkit.com`. */
  baseUrl?: string;
  /** Overall deadline of one Partner API call or store call, ms (default 10000). */
  timeout?: number;
  /** Retries on 429/5xx/connection errors (default 3). */
  retries?: number;
  /** First retry delay in ms, doubling with jitter (default 250). */
  retryDelay?: number;
  /** Prepended to every store key, on every kind of store; no `{` or `}` (default ''). */
  keyPrefix?: string;
  /** Failed code entries per email within an hour before its codes are void (default 5; 0: no limit). */
  maxVerificationAttempts?: number;
  /** Milliseconds a looked-up user may be reused (default 0: off). */
  userCacheTtl?: number;
}

export declare function ChatBotKitPartnerAdapter(
  options: ChatBotKitPartnerAdapterOptions,
): ChatBotKitPartnerAdapter;

export interface ChatBotKitContactAdapterOptions extends Omit<
  ChatBotKitPartnerAdapterOptions,
  'secret' | 'autoCreateUser' | 'autoUpdateUser' | 'autoDeleteUser'
> {
  /** The ChatBotKit API secret of the account whose contacts users are (required). Never logged. */
  secret: string;
  /** Let sign-in create contacts (default false). */
  autoCreateContact?: boolean;
  /** Let the adapter update contacts (default true). */
  autoUpdateContact?: boolean;
  /** Let the adapter delete contacts (default false). */
  autoDeleteContact?: boolean;
  /** Partner adapter option: use `autoCreateContact` (a CONFIG error here). */
  autoCreateUser?: never;
  /** Partner adapter option: use `autoUpdateContact` (a CONFIG error here). */
  autoUpdateUser?: never;
  /** Partner adapter option: use `autoDeleteContact` (a CONFIG error here). */
  autoDeleteUser?: never;
}

/** The Contact adapter: the same contract, users are contacts of one account. */
export interface ChatBotKitContactAdapter extends ChatBotKitPartnerAdapter {}

export declare function ChatBotKitContactAdapter(
  options: ChatBotKitContactAdapterOptions,
): ChatBotKitContactAdapter;

/** The Contact family's names of `Store` and `MemoryStore` (the same classes). */
export { Store as ContactStore, MemoryStore as ContactMemoryStore };

export type AdapterErrorCode =
  | 'CONFIG'
  | 'INVALID_INPUT'
  | 'CREATE_DISABLED'
  | 'UPDATE_DISABLED'
  | 'DELETE_DISABLED'
  | 'DUPLICATE_USER'
  | 'USER_NOT_FOUND'
  | 'MISSING_EMAIL'
  | 'PARTNER_API'
  | 'TIMEOUT'
  | 'NETWORK'
  | 'STORE'
  | 'NOT_FOUND'
  | 'INTERNAL';

export declare class AdapterError extends Error {
  readonly name: 'AdapterError';
  readonly code: AdapterErrorCode;
  /** HTTP status of a PARTNER_API error. */
  readonly status?: number;
  /** ChatBotKit's error code of a PARTNER_API error (e.g. NOT_FOUND). */
  readonly partnerCode?: string;
}

export interface SendVerificationRequestParams {
  identifier: string;
  /** The 6-character code the user types. */
  token: string;
  expires: Date;
  url: string;
  provider: unknown;
  /** The request that asked for the code (next-auth v5 / @auth/core; not v4). */
  request?: Request;
  theme: unknown;
}

export interface ChatBotKitEmailProviderOptions {
  /**
   * Sends the code to the user. Without it the code is printed in
   * development and sign-in fails with a CONFIG error in production.
   */
  sendVerificationRequest?(params: SendVerificationRequestParams): Promise<void> | void;
  id?: string;
  name?: string;
  from?: string;
  /** Seconds a code stays valid (default 900). */
  maxAge?: number;
  [key: string]: unknown;
}

/**
 * The provider Auth.js gets: fits the `providers` array of next-auth v5 /
 * `@auth/core` and of next-auth v4.
 */
export interface ChatBotKitEmailProviderConfig {
  id: 'email';
  type: 'email';
  name: 'Email';
  /** Not used (your sendVerificationRequest sends the mail); next-auth v4's type asks for it. */
  server: string;
  from: string;
  maxAge: number;
  generateVerificationToken(): string;
  sendVerificationRequest(params: SendVerificationRequestParams): Promise<void> | void;
  /** The options given (Auth.js reads them back). */
  options: Record<string, unknown>;
}

export declare function ChatBotKitEmailProvider(
  options?: ChatBotKitEmailProviderOptions,
): ChatBotKitEmailProviderConfig;

/** The same provider, under the Contact family's name. */
export declare function ChatBotKitContactEmailProvider(
  options?: ChatBotKitEmailProviderOptions,
): ChatBotKitEmailProviderConfig;

export interface ChatBotKitSessionParams {
  /** How long the token lives (ChatBotKit's default when absent). */
  durationInSeconds?: number;
  /** API routes the token may call. */
  allowedRoutes?: string[];
  /** Sent as the session's `config.contactId`. */
  contactId?: string;
}

export interface ChatBotKitSession {
  id: string;
  /** A short-lived token for the partner user's own ChatBotKit environment. */
  token: string;
  expiresAt: Date;
}

/**
 * Asks the Partner API for a short-lived token scoped to the signed-in
 * user's own ChatBotKit environment (`POST /v1/partner/user/{id}/session/create`),
 * with the adapter's client, retries and errors. Call it server-side.
 */
export declare function createChatBotKitSession(
  options: Pick<
    ChatBotKitPartnerAdapterOptions,
    'secret' | 'baseUrl' | 'timeout' | 'retries' | 'retryDelay'
  >,
  userId: string,
  params?: ChatBotKitSessionParams,
): Promise<ChatBotKitSession>;

export interface EmailCallbackUrlParams {
  /** The email the code was sent to (trimmed). */
  email: unknown;
  /** The code as typed (spaces dropped, lower-cased). */
  code: unknown;
  /** Where to go once signed in (else Auth.js's callback-url cookie decides). */
  callbackUrl?: string;
  /** Auth.js's base path (default `/api/auth`). */
  basePath?: string;
  /** The email provider's id (default `email`). */
  provider?: string;
}

/**
 * The URL a typed code goes to: `/api/auth/callback/email?token=<code>&email=<email>`
 * (with `callbackUrl` when given). For the `pages.verifyRequest` page.
 */
export declare function emailCallbackUrl(params: EmailCallbackUrlParams): string;
