// A separate Node process for the Redis tests: it makes its own RedisStore and
// adapter (nothing shared with the parent but the Redis server), runs one
// step, prints one JSON line on stdout, and never calls close(), so that the
// parent can also check that an idle process exits by itself.
//
//   node __test__/helpers/redis-child.mjs '<json>'
//
// json: { mode, url?, cluster?, keyPrefix?, identifier?, token?, expires? }
//   mode 'create' — createVerificationToken({ identifier, token, expires (ms) })
//   mode 'use'    — useVerificationToken({ identifier, token })
//   mode 'idle'   — create a token, use it once, print, and simply return
//
// Output: {"result": ..., "expiresIsDate": bool} with dates as {"$date": ms}.

import { ChatBotKitPartnerAdapter, RedisStore } from '../../index.js';

const spec = JSON.parse(process.argv[2] ?? '{}');
const store = spec.cluster
  ? new RedisStore({ cluster: spec.cluster, timeout: 2000 })
  : new RedisStore({ url: spec.url, timeout: 2000 });
const adapter = ChatBotKitPartnerAdapter({
  // Verification tokens never reach the Partner API; nothing listens here.
  secret: 'child-secret',
  baseUrl: 'http://127.0.0.1:9',
  store,
  keyPrefix: spec.keyPrefix,
});

function print(result) {
  const text = JSON.stringify(
    { result, expiresIsDate: result?.expires instanceof Date },
    function (key, value) {
      const raw = this[key];
      return raw instanceof Date ? { $date: raw.getTime() } : value;
    },
  );
  process.stdout.write(`${text}\n`);
}

const { identifier = 'child@example.com', token = 'child-token' } = spec;
switch (spec.mode) {
  case 'create':
    print(
      await adapter.createVerificationToken({ identifier, token, expires: new Date(spec.expires) }),
    );
    break;
  case 'use':
    print(await adapter.useVerificationToken({ identifier, token }));
    break;
  case 'idle': {
    await adapter.createVerificationToken({
      identifier,
      token,
      expires: new Date(Date.now() + 60_000),
    });
    print(await adapter.useVerificationToken({ identifier, token }));
    // No store.close(): the process must still exit by itself.
    break;
  }
  default:
    process.stderr.write(`unknown mode ${spec.mode}\n`);
    process.exitCode = 2;
}
