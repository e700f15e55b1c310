#!/usr/bin/env node
'use strict';

// npx nextauth-chatbotkit-fake-api [--port 4010] [--secret <secret>]
//
// The fake ChatBotKit Partner API (`nextauth-chatbotkit/testing`) on its own,
// for running an app locally without ChatBotKit: it prints the two variables
// to give the app and logs every request it answers. Users live in memory
// until Ctrl-C.

const { parseArgs } = require('node:util');
const { startFakePartnerApi } = require('./fake-partner-api.js');

const usage = 'usage: nextauth-chatbotkit-fake-api [--port <port>] [--secret <secret>]';

async function main() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string', short: 'p' },
        secret: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    console.error(`${error.message}\n${usage}`);
    return 2;
  }
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`--port must be a port number, not ${JSON.stringify(values.port)}\n${usage}`);
    return 2;
  }
  const api = await startFakePartnerApi({
    port,
    secret: values.secret,
    onRequest(entry) {
      const who = entry.op === 'create' && entry.body?.email ? ` (${entry.body.email})` : '';
      console.log(`${entry.method} ${entry.path} ${entry.status ?? '-'} ${entry.op}${who}`);
    },
  });
  console.log(`Fake ChatBotKit Partner API on ${api.url}

Give your app (e.g. in .env.local):
  CHATBOTKIT_API_URL=${api.url}
  CHATBOTKIT_API_SECRET=${api.secret}

Partner users live in memory until Ctrl-C; sign-in codes appear where your
sendVerificationRequest puts them (the quick start logs them in the app's terminal).
`);
  const stop = () => api.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return null;
}

main().then(
  (code) => {
    if (code !== null) process.exitCode = code;
  },
  (error) => {
    console.error(`nextauth-chatbotkit-fake-api: ${error.message}`);
    process.exitCode = 1;
  },
);
