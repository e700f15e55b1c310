// `npm run demo`: a whole email sign-in through @auth/core against the fake
// Partner API, without any secret or network; `npm run demo -- --contact`:
// the same with the Contact adapter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function runDemo(extraEnv = {}, args = []) {
  const env = { ...process.env, ...extraEnv };
  delete env.CHATBOTKIT_API_SECRET;
  delete env.CHATBOTKIT_API_URL;
  delete env.DEBUG;
  delete env.NODE_TEST_CONTEXT; // the child is a plain script, not a test
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['scripts/demo.mjs', ...args],
      { cwd: root, env, timeout: 60_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? (error.code ?? 'killed') : 0, stdout, stderr });
      },
    );
  });
}

test('the demo signs a user in against the fake Partner API', { timeout: 90_000 }, async () => {
  const email = `demo.${Date.now()}@example.com`;
  const { code, stdout, stderr } = await runDemo({ DEMO_EMAIL: email });
  const output = `stdout:\n${stdout}\nstderr:\n${stderr}`;
  assert.equal(code, 0, output);
  assert.match(stdout, /fake Partner API at http:\/\/127\.0\.0\.1:\d+/, output);

  // A code was mailed and the callback redirected to the app, not an error page.
  assert.match(stdout, new RegExp(`outbox: to ${email.replace(/\./g, '\\.')}, code [0-9a-f]{6}`));
  assert.doesNotMatch(stdout, /error=/, output);

  // The session shows the signed-in user, backed by a partner user.
  assert.ok(stdout.includes(`signed in as ${email}`), output);
  assert.ok(stdout.includes(`email: '${email}'`), output);
  assert.match(stdout, /id: 'usr_[0-9a-f]+'/, output);
  assert.match(stdout, /Signed in\. ✔/, output);

  // The adapter calls of an email sign-in, each timed.
  for (const method of [
    'getUserByEmail',
    'createVerificationToken',
    'useVerificationToken',
    'createUser',
  ]) {
    assert.match(
      stdout,
      new RegExp(`^\\s+${method}\\s+\\d+\\.\\d+ ms$`, 'm'),
      `${method}\n${output}`,
    );
  }
  const requests = /Partner API requests: (\d+)/.exec(stdout);
  assert.ok(requests, output);
  assert.ok(Number(requests[1]) > 0);
  assert.doesNotMatch(stderr, /failed/i, output);
});

test('npm run demo -- --contact signs a contact in', { timeout: 90_000 }, async () => {
  const email = `demo.contact.${Date.now()}@example.com`;
  const { code, stdout, stderr } = await runDemo({ DEMO_EMAIL: email }, ['--contact']);
  const output = `stdout:\n${stdout}\nstderr:\n${stderr}`;
  assert.equal(code, 0, output);
  assert.match(stdout, /ChatBotKitContactAdapter, email sign-in/, output);
  assert.match(stdout, /fake Contact API at http:\/\/127\.0\.0\.1:\d+/, output);
  assert.match(stdout, new RegExp(`outbox: to ${email.replace(/\./g, '\\.')}, code [0-9a-f]{6}`));
  assert.doesNotMatch(stdout, /error=/, output);
  assert.ok(stdout.includes(`signed in as ${email}`), output);
  assert.match(stdout, /the ChatBotKit contact behind the session/, output);
  // Fake contact ids: the session is backed by a contact, not a partner user.
  assert.match(stdout, /id: 'con_[0-9a-f]+'/, output);
  assert.match(stdout, /^\s+createUser\s+\d+\.\d+ ms$/m, output);
  assert.match(stdout, /Contact API requests: [1-9]\d*/, output);
  assert.match(stdout, /Signed in\. ✔/, output);
});
