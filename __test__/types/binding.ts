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
  type Answer,
  type Completion,
  type Settled,
  type StoreStep,
} from '../../binding.js';

declare const adapter: NativeAdapter;
declare const partner: NativePartner;
declare const redis: NativeRedisStore;

const methods: AdapterMethod[] = adapterMethods();
const first: Answer = adapter.call(methods[0], '[]');
const byName: Answer = adapter.call('getUserByEmail', '["a@example.com"]');
// @ts-expect-error: not an adapter method
adapter.call('getUsr', '[]');
// @ts-expect-error: the method name is not any string
adapter.call(String(first), '[]');

const session: Settled = partner.createSession('usr_1', '{}');
const got: Settled = redis.command('get', 'k');
// An answer is an envelope now, the id of the completion that carries it,
// or (over a JS store) a store step to run and hand back with `resume`.
const now: string | number | StoreStep = byName;
const resumed: Answer = adapter.resume(1, 0, null, null);

const outbox = registerOutbox(() => {});
const done: Completion[] = outbox.take(16);
const id: number = done[0].id;
// No envelope: a call driven on the JS thread was woken and wants `poll`.
const envelope: string | null | undefined = done[0].envelope;

export { session, got, now, resumed, id, envelope };
