// Whatever an application (or a bug in one) passes to the adapter, each call
// settles, and a failure is an AdapterError with a `code`: never a crash of
// the Node process, never another kind of error, never a promise that hangs.
// Then a soak in a child process: thousands of calls, no lingering handles,
// and memory that stays flat.
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import util from 'node:util';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { ChatBotKitPartnerAdapter, MemoryStore, AdapterError } from '../index.mjs';
import { partnerAdapter, useFakeApi } from './helpers/api.mjs';
import { mapStore } from './helpers/stores.mjs';

const CODES = new Set([
  'CONFIG',
  'INVALID_INPUT',
  'CREATE_DISABLED',
  'UPDATE_DISABLED',
  'DELETE_DISABLED',
  'DUPLICATE_USER',
  'USER_NOT_FOUND',
  'MISSING_EMAIL',
  'PARTNER_API',
  'TIMEOUT',
  'NETWORK',
  'STORE',
  'NOT_FOUND',
]);

/** Per-call bound: the adapter's own timeout (2 s) plus a margin. */
const CALL_BOUND_MS = 8000;

const api = useFakeApi({
  users: Array.from({ length: 5 }, (_, i) => ({
    id: `usr_seed${i}`,
    email: `seed${i}@example.com`,
  })),
});

// --- hostile values ----------------------------------------------------------

const throwingHandler = new Proxy(
  {},
  {
    get(_target, trap) {
      return () => {
        throw new Error(`trap ${String(trap)} throws`);
      };
    },
  },
);

/** Values that make serialising, reading or even inspecting them throw. */
function hostileValues() {
  const revocable = Proxy.revocable({}, {});
  revocable.revoke();
  const cyclic = { a: 1 };
  cyclic.self = cyclic;
  const cyclicArray = [];
  cyclicArray.push(cyclicArray);
  let deep = {};
  for (let i = 0; i < 5000; i++) deep = { d: deep };
  let deepArray = [];
  for (let i = 0; i < 5000; i++) deepArray = [deepArray];
  const endless = () => ({
    get next() {
      return endless();
    },
  });
  return [
    new Proxy({}, throwingHandler),
    new Proxy([], throwingHandler),
    new Proxy(() => {}, throwingHandler),
    new Proxy(
      { id: 'usr_seed0', email: 'seed0@example.com' },
      {
        get: () => {
          throw new Error('get');
        },
      },
    ),
    new Proxy(
      {},
      {
        ownKeys: () => {
          throw new Error('ownKeys');
        },
      },
    ),
    new Proxy(
      {},
      {
        getPrototypeOf: () => {
          throw new Error('getPrototypeOf');
        },
      },
    ),
    revocable.proxy,
    cyclic,
    cyclicArray,
    deep,
    deepArray,
    endless(),
    {
      toJSON() {
        throw new Error('toJSON throws');
      },
    },
    {
      toJSON() {
        return 1n;
      },
    },
    {
      toJSON() {
        return {
          toJSON() {
            throw Symbol('thrown symbol');
          },
        };
      },
    },
    {
      get email() {
        throw null;
      },
    },
    {
      get id() {
        throw undefined;
      },
    },
    {
      get token() {
        throw new Proxy({}, throwingHandler);
      },
    },
    Object.assign(Object.create(null), { id: 'usr_seed1', email: 'seed1@example.com' }),
    Object.create(new Proxy({}, throwingHandler)),
    new Date(NaN),
    new Date(8.64e15),
    10n ** 30n,
    Symbol('s'),
    Symbol.iterator,
    () => {},
    async () => {},
    function* gen() {},
    class K {},
    new Error('an error as an argument'),
    new AdapterError('INTERNAL', 'a forged adapter error'),
    Promise.resolve('a promise'),
    new Promise(() => {}),
    new WeakMap(),
    new ArrayBuffer(8),
    new SharedArrayBuffer(8),
    new BigInt64Array([1n]),
    Buffer.from('buffer'),
    new URL('https://example.com/?a=b'),
    /regexp/g,
    globalThis,
    process,
    NaN,
    -0,
    Infinity,
    Number.MAX_SAFE_INTEGER + 2,
    '\ud800',
    'a\u0000b',
    '\u202e',
    'x'.repeat(2_000_000),
    '../'.repeat(10_000),
    ''.padEnd(100_000, 'é'),
    { email: 'x'.repeat(1_000_000) },
    { id: '\ud800', email: '\udfff' },
    { sessionToken: 'x'.repeat(500_000), userId: 'u', expires: new Date(Date.now() + 60_000) },
    { __proto__: { email: 'inherited@example.com' } },
    JSON.parse('{"__proto__": {"polluted": true}, "email": "proto@example.com"}'),
    { constructor: { prototype: { polluted: true } } },
    { $date: 1 },
    { $date: 'x' },
    { expires: { $date: 1e300 } },
  ];
}

const anything = fc.anything({
  withBigInt: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withTypedArray: true,
  withNullPrototype: true,
  withBoxedValues: true,
  withSparseArray: true,
  withObjectString: true,
  withUnicodeString: true,
  maxDepth: 4,
});

// fast-check looks into the values it generates (to clone or print them),
// which hostile values do not allow: it generates a placeholder, swapped for
// the hostile value only when the adapter is called.
const HOSTILE = hostileValues();
class Hostile {
  constructor(index) {
    this.index = index;
  }
  toString() {
    return `Hostile(${this.index})`;
  }
}
const hostile = fc.nat(HOSTILE.length - 1).map((i) => new Hostile(i));
const reveal = (v) => (v instanceof Hostile ? HOSTILE[v.index] : v);

/** Marks the records `plausible` makes, whose fields may hold placeholders. */
const kPlausible = Symbol('plausible');

/** The arguments with their placeholders (top level and record fields) swapped in. */
function materialize(args) {
  return args.map((arg) => {
    if (arg instanceof Hostile) return reveal(arg);
    if (arg && Object.getPrototypeOf(arg) === Object.prototype && arg[kPlausible]) {
      const out = {};
      for (const [k, v] of Object.entries(arg)) out[k] = reveal(v);
      return out;
    }
    return arg;
  });
}
const future = fc.integer({ min: 1, max: 3600_000 }).map((ms) => new Date(Date.now() + ms));
const anyDate = fc.oneof(fc.date(), future, fc.constant(new Date(NaN)));
const idLike = fc.oneof(
  fc.constantFrom('usr_seed0', 'usr_seed1', 'usr_missing', '.', '..', '', ' ', 'a/../b', '%2e%2e'),
  fc.string({ unit: 'binary', maxLength: 40 }),
);
const emailLike = fc.oneof(
  fc.emailAddress(),
  fc.constantFrom('seed0@example.com', ' SEED1@example.com ', '', '@', 'a@b'),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

const PLAUSIBLE_FIELDS = {
  id: idLike,
  userId: idLike,
  email: emailLike,
  identifier: emailLike,
  emailVerified: fc.option(anyDate),
  name: fc.option(fc.string()),
  image: fc.option(fc.webUrl()),
  token: fc.string({ minLength: 1, maxLength: 16 }),
  sessionToken: fc.string({ minLength: 1, maxLength: 16 }),
  expires: anyDate,
  type: fc.constantFrom('oauth', 'oidc', 'email', 'webauthn'),
  provider: fc.constantFrom('github', 'google', 'a:b{c}'),
  providerAccountId: fc.string({ minLength: 1, maxLength: 8 }),
  credentialID: fc.string({ minLength: 1, maxLength: 8 }),
  counter: fc.oneof(fc.nat(), fc.double()),
  credentialPublicKey: fc.base64String(),
  credentialDeviceType: fc.constantFrom('singleDevice', 'multiDevice'),
  credentialBackedUp: fc.boolean(),
};
/** Objects shaped like what Auth.js passes: most fields there, any may be odd. */
const plausible = fc
  .tuple(
    fc.record(PLAUSIBLE_FIELDS),
    fc.array(fc.constantFrom(...Object.keys(PLAUSIBLE_FIELDS)), { maxLength: 3 }),
    fc.array(
      fc.tuple(fc.constantFrom(...Object.keys(PLAUSIBLE_FIELDS)), fc.oneof(anything, hostile)),
      {
        maxLength: 2,
      },
    ),
  )
  .map(([record, dropped, odd]) => {
    for (const key of dropped) delete record[key];
    for (const [key, value] of odd) record[key] = value;
    return Object.assign(record, { [kPlausible]: true });
  });

const argument = fc.oneof(
  { weight: 4, arbitrary: plausible },
  { weight: 3, arbitrary: fc.oneof(idLike, emailLike) },
  { weight: 2, arbitrary: anything },
  { weight: 1, arbitrary: hostile },
  { weight: 1, arbitrary: fc.constantFrom(undefined, null) },
);
const argumentLists = fc.array(argument, { maxLength: 4 });

/** Arguments of the kind each method takes (odd values inside), or anything at all. */
const text = fc.oneof(idLike, emailLike);
const SHAPED = {
  getUser: fc.tuple(text),
  getUserByEmail: fc.tuple(text),
  deleteUser: fc.tuple(text),
  getSessionAndUser: fc.tuple(text),
  deleteSession: fc.tuple(text),
  getAuthenticator: fc.tuple(text),
  listAuthenticatorsByUserId: fc.tuple(text),
  getAccount: fc.tuple(text, fc.constantFrom('github', 'google', '')),
  updateAuthenticatorCounter: fc.tuple(text, fc.oneof(fc.nat(), fc.double(), argument)),
};
const argumentsFor = (name) =>
  fc.oneof(
    { weight: 2, arbitrary: SHAPED[name] ?? fc.tuple(plausible) },
    { weight: 1, arbitrary: argumentLists },
  );

// --- the check ----------------------------------------------------------------

function describeValue(value) {
  try {
    return util.inspect(value, { depth: 2, maxStringLength: 80, maxArrayLength: 5 });
  } catch {
    return '<uninspectable>';
  }
}

/** Calls `adapter[name](...args)` and checks how it settles. */
async function callSettles(adapter, name, args) {
  let timer;
  const bound = new Promise((resolve) => {
    timer = setTimeout(() => resolve({ hung: true }), CALL_BOUND_MS);
  });
  let outcome;
  try {
    const call = adapter[name](...args);
    assert.ok(call instanceof Promise, `${name} did not return a promise`);
    outcome = await Promise.race([
      call.then(
        (value) => ({ value }),
        (error) => ({ error }),
      ),
      bound,
    ]);
  } catch (thrown) {
    assert.fail(`${name} threw synchronously: ${describeValue(thrown)}`);
  } finally {
    clearTimeout(timer);
  }
  assert.ok(!outcome.hung, `${name} did not settle within ${CALL_BOUND_MS} ms`);
  if ('error' in outcome) {
    const { error } = outcome;
    assert.ok(
      error instanceof AdapterError,
      `${name} rejected with a non-AdapterError: ${describeValue(error)}`,
    );
    assert.equal(typeof error.code, 'string');
    assert.ok(CODES.has(error.code), `${name}: code ${error.code} (${error.message})`);
    assert.equal(typeof error.message, 'string');
  }
  return outcome;
}

const adapterOn = (store, timeout = 2000) =>
  partnerAdapter(api, { store, retries: 0, timeout, autoCreateUser: true, autoDeleteUser: true });

/** The method names, as Auth.js lists them: `Object.keys(adapter)`. */
const METHODS = Object.keys(
  ChatBotKitPartnerAdapter({
    secret: 'names-only',
    baseUrl: 'http://127.0.0.1:9',
    store: new MemoryStore(),
  }),
);

function fuzzEveryMethod(label, makeStore, numRuns) {
  describe(`every method, arbitrary arguments (${label})`, () => {
    let adapter;
    before(() => {
      adapter = adapterOn(makeStore());
    });
    for (const name of METHODS) {
      test(name, async () => {
        await fc.assert(
          fc.asyncProperty(argumentsFor(name), async (args) => {
            await callSettles(adapter, name, materialize(args));
          }),
          { numRuns, endOnFailure: true },
        );
      });
    }
  });
}

fuzzEveryMethod('MemoryStore', () => new MemoryStore(), 300);
fuzzEveryMethod('JS store', () => mapStore({ withGetdel: true }), 60);

describe('hostile values one by one, in every position', () => {
  test('each hostile value as each argument of each method', async () => {
    const adapter = adapterOn(new MemoryStore());
    const values = hostileValues();
    for (const name of Object.keys(adapter)) {
      for (const value of values) {
        await callSettles(adapter, name, [value]);
        await callSettles(adapter, name, ['usr_seed0', value]);
        await callSettles(adapter, name, [
          { id: value, userId: value, email: value, token: value },
        ]);
      }
    }
  });

  test('a JS store that returns hostile values is a STORE error or absent, never a crash', async () => {
    const values = hostileValues();
    let i = 0;
    const next = () => values[i++ % values.length];
    const store = {
      get: async () => next(),
      set: async () => next(),
      del: async () => next(),
      getdel: async () => next(),
    };
    // One of the values is a promise that never settles: a short timeout.
    const adapter = adapterOn(store, 300);
    const expires = new Date(Date.now() + 60_000);
    for (let round = 0; round < values.length; round++) {
      await callSettles(adapter, 'getSessionAndUser', ['s']);
      await callSettles(adapter, 'useVerificationToken', [{ identifier: 'a@b.co', token: 't' }]);
      await callSettles(adapter, 'createSession', [{ sessionToken: 's', userId: 'u', expires }]);
      await callSettles(adapter, 'listAuthenticatorsByUserId', ['u']);
      await callSettles(adapter, 'getAccount', ['1', 'github']);
    }
  });

  test('a JS store whose methods throw anything, synchronously or not', async () => {
    const thrown = [
      new Error('e'),
      'a string',
      null,
      undefined,
      42,
      Symbol('s'),
      new Proxy({}, throwingHandler),
      {
        message: {
          toString() {
            throw new Error('nope');
          },
        },
      },
    ];
    for (const value of thrown) {
      for (const sync of [true, false]) {
        const fail = sync
          ? () => {
              throw value;
            }
          : async () => {
              throw value;
            };
        const adapter = adapterOn({ get: fail, set: fail, del: fail, getdel: fail });
        const { error } = await callSettles(adapter, 'getSessionAndUser', ['s']);
        assert.equal(error?.code, 'STORE', `store threw ${describeValue(value)}`);
      }
    }
  });

  test('the adapter still works normally after all of that', async () => {
    const adapter = adapterOn(new MemoryStore());
    const user = api.addUser({ email: 'after@example.com' });
    assert.equal((await adapter.getUser(user.id))?.email, 'after@example.com');
    assert.equal((await adapter.getUserByEmail('after@example.com'))?.id, user.id);
    const expires = new Date(Date.now() + 60_000);
    await adapter.createSession({ sessionToken: 'after', userId: user.id, expires });
    assert.equal((await adapter.getSessionAndUser('after'))?.user.id, user.id);
  });

  test('the generated arguments reach past input validation: some calls succeed, errors of several codes', async () => {
    // A fixed sample of what the properties above generate, so that a
    // generator that only ever made rejected input would be noticed.
    const adapter = adapterOn(new MemoryStore());
    const stats = { calls: 0, resolved: 0, codes: {} };
    for (const name of METHODS) {
      for (const args of fc.sample(argumentsFor(name), { numRuns: 20, seed: 14 })) {
        const outcome = await callSettles(adapter, name, materialize(args));
        stats.calls++;
        if ('error' in outcome) {
          stats.codes[outcome.error.code] = (stats.codes[outcome.error.code] ?? 0) + 1;
        } else stats.resolved++;
      }
    }
    assert.ok(stats.resolved > stats.calls / 5, util.inspect(stats));
    assert.ok(Object.keys(stats.codes).length >= 4, util.inspect(stats));
    console.log(`fuzz: ${util.inspect(stats, { breakLength: Infinity })}`);
  });
});

// --- soak in a child process ----------------------------------------------------

const SOAK = fileURLToPath(new URL('./fixtures/soak-child.mjs', import.meta.url));

describe('soak (child process)', () => {
  test('~5000 mixed calls twice: exits by itself promptly, memory flat', async () => {
    const child = spawn(process.execPath, ['--expose-gc', SOAK], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DEBUG: '' },
    });
    let stdout = '';
    let stderr = '';
    let doneAt;
    child.stdout.setEncoding('utf8').on('data', (d) => {
      stdout += d;
      if (doneAt === undefined && stdout.includes('SOAK-DONE')) doneAt = performance.now();
    });
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), 45_000);
    const [code, signal] = await new Promise((resolve) =>
      child.on('close', (c, s) => resolve([c, s])),
    );
    const exitedAt = performance.now();
    clearTimeout(killer);

    assert.equal(signal, null, `killed: it did not finish or did not exit\n${stdout}\n${stderr}`);
    assert.equal(code, 0, `${stdout}\n${stderr}`);
    assert.ok(doneAt !== undefined, `no SOAK-DONE line\n${stdout}\n${stderr}`);
    const result = JSON.parse(/^SOAK-RESULT (.+)$/m.exec(stdout)[1]);
    // Exits by itself: no timer, socket, native handle or thread-safe
    // function keeps the event loop alive after the work is done.
    const lingerMs = exitedAt - doneAt;
    assert.ok(lingerMs < 2000, `the child lingered ${lingerMs.toFixed(0)} ms after its work`);

    const mb = (bytes) => bytes / 1024 / 1024;
    const rssGrowth = mb(result.after.rss - result.before.rss);
    const heapGrowth = mb(result.after.heapUsed - result.before.heapUsed);
    console.log(
      `soak: ${result.callsPerBatch} calls per batch, batches of ${result.batchMs
        .map((ms) => `${ms.toFixed(0)} ms`)
        .join(
          ' / ',
        )}; RSS ${mb(result.before.rss).toFixed(1)} -> ${mb(result.after.rss).toFixed(1)} MB ` +
        `(${rssGrowth.toFixed(2)} MB), heap ${mb(result.before.heapUsed).toFixed(1)} -> ` +
        `${mb(result.after.heapUsed).toFixed(1)} MB; exited ${lingerMs.toFixed(0)} ms after its work; ` +
        `outcomes ${JSON.stringify(result.outcomes)}`,
    );
    assert.ok(result.callsPerBatch >= 5000);
    assert.equal(result.outcomes.unexpected ?? 0, 0, JSON.stringify(result));
    // The measured batch repeats the warm-up batch exactly (same keys, same
    // users), so a steady state holds the same data. 20 MB over 5000 calls
    // is 4 KB per call: any per-call leak of a request, a response, an
    // envelope or a JS callback would exceed it. Allocator noise measured
    // here is around a few MB.
    assert.ok(rssGrowth < 20, `RSS grew ${rssGrowth.toFixed(1)} MB over one batch`);
    assert.ok(heapGrowth < 5, `JS heap grew ${heapGrowth.toFixed(1)} MB over one batch`);
  });
});
