// The napi boundary as binding.d.ts (generated from src/napi/) types it: the
// method names JS may pass are a union, what a call answers is named, and
// each @ts-expect-error must see an error.
import {
  NativeAdapter,
  NativePartner,
  NativeRedisStore,
  adapterMethods,
  registerOutbox,
  type AdapterMethod,
  type Completion,
  type Settled,
} from '../../binding.js';

declare const adapter: NativeAdapter;
declare const partner: NativePartner;
declare const redis: NativeRedisStore;

const methods: AdapterMethod[] = adapterMethods();
const first: Settled = adapter.call(methods[0], '[]');
const byName: Settled = adapter.call('getUserByEmail', '["a@example.com"]');
// @ts-expect-error: not an adapter method
adapter.call('getUsr', '[]');
// @ts-expect-error: the method name is not any string
adapter.call(String(first), '[]');

const session: Settled = partner.createSession('usr_1', '{}');
const got: Settled = redis.command('get', 'k');
// An answer is an envelope now, or the id of the completion that carries it.
const now: string | number = byName;

const outbox = registerOutbox(() => {});
const done: Completion[] = outbox.take(16);
const id: number = done[0].id;
const envelope: string = done[0].envelope;

export { session, got, now, id, envelope };
