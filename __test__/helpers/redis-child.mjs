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
//   mode 'workers' — 'idle' in three worker threads one after another (the
//                   first loads the package), then one more that exits while
//                   a call waits for Redis, then 'idle' here: prints the tokens each got back (or how
//                   its worker ended)
//   mode 'exit-mid-call' — 'idle', then exit while one more call waits
//
// Output: {"result": ..., "expiresIsDate": bool} with dates as {"$date": ms}.

import { Worker } from 'node:worker_threads';

const spec = JSON.parse(process.argv[2] ?? '{}');

/** The package is loaded only here: in 'workers' mode, by the workers first. */
async function makeAdapter() {
  const { ChatBotKitPartnerAdapter, RedisStore } = await import('../../index.js');
  const store = spec.cluster
    ? new RedisStore({ cluster: spec.cluster, timeout: 2000 })
    : new RedisStore({ url: spec.url, timeout: 2000 });
  return ChatBotKitPartnerAdapter({
    // Verification tokens never reach the Partner API; nothing listens here.
    secret: 'child-secret',
    baseUrl: 'http://127.0.0.1:9',
    store,
    keyPrefix: spec.keyPrefix,
  });
}

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
const adapter = spec.mode === 'workers' ? null : await makeAdapter();
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
  case 'exit-mid-call': {
    await adapter.createVerificationToken({
      identifier,
      token,
      expires: new Date(Date.now() + 60_000),
    });
    print(await adapter.useVerificationToken({ identifier, token }));
    adapter.useVerificationToken({ identifier, token });
    process.exit(0);
    break;
  }
  case 'workers': {
    /** Runs this file in a worker thread; what it printed, or how it ended. */
    const inWorker = async (workerSpec) => {
      const worker = new Worker(new URL(import.meta.url), {
        argv: [JSON.stringify({ ...spec, ...workerSpec })],
        stdout: true,
      });
      let out = '';
      worker.stdout.on('data', (d) => (out += d));
      const code = await new Promise((resolve) => worker.once('exit', resolve));
      return code === 0 ? JSON.parse(out.trim()).result?.token : `worker exited ${code}`;
    };
    const tokens = [];
    for (let i = 0; i < 3; i++) tokens.push(await inWorker({ mode: 'idle', token: `worker-${i}` }));
    tokens.push(await inWorker({ mode: 'exit-mid-call', token: 'worker-exit' }));
    const adapter = await makeAdapter();
    await adapter.createVerificationToken({
      identifier,
      token,
      expires: new Date(Date.now() + 60_000),
    });
    tokens.push((await adapter.useVerificationToken({ identifier, token }))?.token);
    print(tokens);
    break;
  }
  default:
    process.stderr.write(`unknown mode ${spec.mode}\n`);
    process.exitCode = 2;
}
