// Types of `nextauth-chatbotkit/testing`: a local fake ChatBotKit API (partner
// users and contacts).

/** The operation a request was routed to (`unknown` when no route matched). */
export type FakePartnerOp =
  | 'list'
  | 'fetch'
  | 'create'
  | 'update'
  | 'delete'
  | 'sessionCreate'
  | 'tokenCreate'
  | 'tokenList'
  | 'tokenDelete'
  | 'contactList'
  | 'contactCreate'
  | 'contactEnsure'
  | 'contactFetch'
  | 'contactUpdate'
  | 'contactDelete'
  | 'unknown';

/** How a queued fault answers. */
export type FakePartnerFaultMode =
  'status' | 'hang' | 'reset' | 'garbage' | 'truncate' | 'huge' | 'wrongShape' | 'delay';

/** What a partner user and a user to seed both have. */
interface FakePartnerUserFields {
  name?: string;
  description?: string;
  email?: string;
  image?: string;
  alias?: string;
  meta?: Record<string, unknown>;
  limits?: Record<string, unknown>;
  /** Seeded users may carry any extra field; it is returned as is. */
  [field: string]: unknown;
}

/** A partner user as stored and returned by the fake (fields never set are absent). */
export interface FakePartnerUser extends FakePartnerUserFields {
  id: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
  /** Milliseconds since the epoch. */
  updatedAt: number;
}

/** A user to seed: like a partner user, with `id` and timestamps optional. */
export interface FakePartnerUserSeed extends FakePartnerUserFields {
  id?: string;
  createdAt?: number | Date;
  updatedAt?: number | Date;
}

/** What a contact and a contact to seed both have. */
interface FakeContactFields {
  name?: string;
  description?: string;
  email?: string;
  phone?: string;
  nick?: string;
  preferences?: string;
  meta?: Record<string, unknown>;
  /** Milliseconds since the epoch. */
  verifiedAt?: number;
  [field: string]: unknown;
}

/** A contact as stored and returned by the fake (fields never set are absent). */
export interface FakeContact extends FakeContactFields {
  id: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
  /** Milliseconds since the epoch. */
  updatedAt: number;
  /** Always set: given, or `fp_<random>`. */
  fingerprint: string;
}

/** A contact to seed: like a contact, with `id`, `fingerprint` and timestamps optional. */
export interface FakeContactSeed extends FakeContactFields {
  id?: string;
  fingerprint?: string;
  createdAt?: number | Date;
  updatedAt?: number | Date;
}

export interface FakePartnerApiOptions {
  /** Port to listen on (127.0.0.1). Default 0: a free port. */
  port?: number;
  /** The bearer secret accepted. Default `'fake-secret-' + random hex`. */
  secret?: string;
  /** Users to seed, as with `addUser`. */
  users?: FakePartnerUserSeed[];
  /** Delay (ms) before every answer. Default 0. */
  latency?: number;
  /**
   * When true, `list` ignores the (unpublished) `email` filter and answers the
   * newest users, like a server that does not implement it. Default false.
   */
  ignoreEmailFilter?: boolean;
  /**
   * When true, `list`'s `email` filter matches exactly (case and spaces
   * count), as the real service may. Default false: trimmed, any case.
   */
  caseSensitiveEmailFilter?: boolean;
  /**
   * Ms after its creation before a user shows in `list` (`fetch` sees it at
   * once), like a list served from a lagging replica. Default 0.
   */
  listLag?: number;
  /** Contacts to seed, as with `addContact`. */
  contacts?: FakeContactSeed[];
  /**
   * When true, the contact `list` ignores `meta[...]` filters and answers
   * every contact, like a server that does not apply them. Default false.
   */
  ignoreContactFilter?: boolean;
}

/** One received request, logged on arrival (faulted ones included). */
export interface FakePartnerRequest {
  method: string;
  /** Same as `rawPath`. */
  path: string;
  /** The path exactly as received on the wire: not decoded, not normalised, no query. */
  rawPath: string;
  /** Query parameters (the last value wins for repeated keys). */
  query: Record<string, string>;
  /** The parsed JSON body, or null (no body, or not valid JSON). */
  body: unknown;
  /** Whether `Authorization: Bearer <secret>` was right. */
  authorized: boolean;
  op: FakePartnerOp;
  /** The decoded `{userId}` path segment, when the route has one. */
  userId?: string;
  /** The decoded `{tokenId}` path segment (tokenDelete). */
  tokenId?: string;
  /** The decoded `{contactId}` path segment (contactFetch, contactUpdate, contactDelete). */
  contactId?: string;
  /** Request headers, lower-cased names (as Node's `IncomingMessage.headers`). */
  headers: Record<string, string | string[] | undefined>;
  /** Status answered, or null while unanswered / when never answered (hang, reset). */
  status: number | null;
  /** The fault mode served to this request, or null. */
  fault: FakePartnerFaultMode | null;
}

/**
 * A fault applied to the next `times` requests whose operation is `op`, then removed.
 * Faults are matched in the order queued.
 */
export interface FakePartnerFault {
  /** Operation to match. Default: any request. */
  op?: FakePartnerOp;
  /** How many matching requests get it. Default 1 (`Infinity` allowed). */
  times?: number;
  /**
   * Default: `'status'`, or `'delay'` when only `delay` is given.
   * - `status`: answer `status` with `body`, or the standard `{ message, code }`.
   * - `hang`: never answer (the socket stays open until `close()`).
   * - `reset`: destroy the connection without answering.
   * - `garbage`: 200, `text/html`, `<html>oops</html>`.
   * - `truncate`: 200 JSON whose Content-Length is larger than what is sent, then the connection drops.
   * - `huge`: 200, a valid JSON document over 8 MiB, streamed.
   * - `wrongShape`: 200, `{"unexpected":true}` for `list` and `contactList`, `[1,2]` for the others.
   * - `delay`: wait `delay` ms, then answer normally.
   */
  mode?: FakePartnerFaultMode;
  /** For `status` mode. Default 500. */
  status?: number;
  /** For `status` mode: an object is sent as JSON, a string as text/plain (unless `headers` say otherwise). */
  body?: string | object;
  /** Headers added to the answer, e.g. `{ 'retry-after': '1' }`. */
  headers?: Record<string, string>;
  /** Ms to wait before serving the fault (any mode; for `delay` mode, before the normal answer). */
  delay?: number;
  /**
   * Perform the operation first (e.g. a create/update/delete really happens),
   * then serve the fault instead of its answer: "the server acted but the
   * answer was lost". Default false.
   */
  apply?: boolean;
}

/** A session issued by `session/create`. */
export interface FakePartnerSession {
  id: string;
  token: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
  userId: string;
  createdAt: number;
  durationInSeconds: number;
  config?: { allowedRoutes?: string[]; contactId?: string };
}

/** A user token issued by `token/create`. */
export interface FakePartnerToken {
  id: string;
  userId: string;
  token: string;
  createdAt: number;
  updatedAt: number;
  name?: string;
  description?: string;
  config?: Record<string, unknown>;
  meta?: Record<string, unknown>;
}

export interface FakePartnerApi {
  /** Base URL such as `http://127.0.0.1:PORT` (no trailing slash; paths are under `/v1`). */
  readonly url: string;
  readonly secret: string;
  /** Live store: id → user. */
  readonly users: Map<string, FakePartnerUser>;
  /** Live store: id → contact. */
  readonly contacts: Map<string, FakeContact>;
  /** Sessions issued, oldest first. */
  readonly sessions: FakePartnerSession[];
  /** Live store: token id → token. */
  readonly tokens: Map<string, FakePartnerToken>;
  /** Every request received, oldest first. */
  readonly requests: FakePartnerRequest[];
  /** Store a user (assigns `id`, `createdAt`, `updatedAt` when absent); throws if the id exists. */
  addUser(fields?: FakePartnerUserSeed): FakePartnerUser;
  /**
   * Store a contact (assigns `id`, `fingerprint`, `createdAt`, `updatedAt`
   * when absent); throws if the id or the fingerprint exists.
   */
  addContact(fields?: FakeContactSeed): FakeContact;
  /** Number of requests routed to `op`, or of all requests. */
  calls(op?: FakePartnerOp): number;
  /** Clear the request log. */
  resetRequests(): void;
  setLatency(ms: number): void;
  /** Change `listLag` (see the option). */
  setListLag(ms: number): void;
  /** Queue a fault. */
  fail(spec?: FakePartnerFault): void;
  /** Drop every queued fault. */
  clearFaults(): void;
  /**
   * Back to how it started: only the seeded users and contacts, no sessions, tokens, faults
   * or logged requests, and the starting latency. Handy in a `beforeEach`.
   */
  reset(): void;
  /** Stop the server and destroy every open socket (hung ones included). */
  close(): Promise<void>;
}

export function startFakePartnerApi(options?: FakePartnerApiOptions): Promise<FakePartnerApi>;
