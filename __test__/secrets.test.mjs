// Secrets never reach logs. A child process runs an email sign-in and a
// series of failures with DEBUG=nextauth-chatbotkit on and prints all an
// application could log (debug lines, util.inspect of the adapter, error
// messages, stacks, JSON). Nothing it prints may contain the partner secret,
// the verification code (raw or hashed), the session token, or the token
// createChatBotKitSession got from ChatBotKit.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { useFakeApi } from './helpers/api.mjs';

const CHILD = fileURLToPath(new URL('./fixtures/secrets-child.mjs', import.meta.url));
const rand = () => randomBytes(12).toString('hex');

const SECRET = `sk-partner-${rand()}`;
const WRONG_SECRET = `sk-partner-wrong-${rand()}`;
const AUTH_SECRET = `auth-secret-${rand()}`;
const RAW_CODE = `code${rand()}`;
const HASHED = createHash('sha256').update(`${RAW_CODE}${AUTH_SECRET}`).digest('hex');
const SESSION_TOKEN = `sess-${rand()}`;
const EMAIL = 'ada.lovelace@example.com';

const api = useFakeApi({ secret: SECRET });
let run;

function runChild(env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ...split(stdout, stderr) });
    });
  });
}

const MARKER = /^#### section: (.+)$/;

/**
 * The output by section: `all` is everything but the echoing-store section,
 * `echo` is that section (a store whose errors quote its commands).
 */
function split(stdout, stderr) {
  const out = { all: '', echo: '' };
  for (const text of [stdout, stderr]) {
    let section = 'all';
    for (const line of text.split('\n')) {
      const m = MARKER.exec(line);
      if (m) section = m[1] === 'echoing store' ? 'echo' : 'all';
      else out[section] += `${line}\n`;
    }
  }
  return out;
}

before(async () => {
  await api.ready;
  run = await runChild({
    DEBUG: 'nextauth-chatbotkit',
    CBK_URL: api.url,
    CBK_SECRET: SECRET,
    CBK_WRONG_SECRET: WRONG_SECRET,
    AUTH_SECRET,
    RAW_CODE,
    SESSION_TOKEN,
    EMAIL,
  });
});

/** Where `needle` shows in the output, for a readable failure. */
function excerpt(haystack, needle) {
  const i = haystack.indexOf(needle);
  return haystack.slice(Math.max(0, i - 300), i + needle.length + 100);
}

function assertAbsent(name, needle, where = 'all') {
  assert.ok(needle && needle.length >= 16, `${name} is not distinctive enough to search for`);
  const text = run[where];
  assert.ok(
    !text.includes(needle),
    `the ${name} appears in the output:\n…${excerpt(text, needle)}…`,
  );
}

test('the child ran the whole flow and exited cleanly', () => {
  assert.equal(run.signal, null, run.all);
  assert.equal(run.code, 0, run.all);
  assert.match(run.stdout, /right code -> true/);
  assert.match(run.stdout, /session user: true/);
  assert.match(run.stdout, /chatbotkit session expires: true/);
  assert.match(run.stdout, /child done/);
  assert.doesNotMatch(run.all + run.echo, /UNEXPECTED SUCCESS/);
  assert.ok(run.echo.length > 0, 'the echoing-store section is missing');
  // The failures it printed are the expected kinds.
  for (const [label, code] of [
    ['wrong secret getUserByEmail', 'PARTNER_API'],
    ['wrong secret createChatBotKitSession', 'PARTNER_API'],
    ['network getUserByEmail', 'NETWORK'],
    ['store down createSession', 'STORE'],
    ['stuck store getSessionAndUser', 'STORE'],
  ]) {
    assert.match(run.stdout, new RegExp(`${label} code=${code}`));
  }
});

test('logging was on: one debug line per adapter call and per Partner API request', () => {
  const lines = run.stderr.split('\n');
  const adapterLine = /^nextauth-chatbotkit (\w+) (ok|[A-Z_]+) \d+(\.\d+)?ms$/;
  const partnerLine =
    /^nextauth-chatbotkit partner (GET|POST) \/v1\/partner\/user\/\S+ \S+ \d+(\.\d+)?ms$/;
  const calls = lines.filter((l) => adapterLine.test(l)).map((l) => l.split(' ')[1]);
  for (const method of [
    'getUserByEmail',
    'createVerificationToken',
    'useVerificationToken',
    'createUser',
    'createSession',
    'getSessionAndUser',
    'updateUser',
  ]) {
    assert.ok(calls.includes(method), `no debug line for ${method}`);
  }
  assert.ok(lines.some((l) => /^nextauth-chatbotkit getUserByEmail PARTNER_API /.test(l)));
  assert.ok(lines.some((l) => /^nextauth-chatbotkit createSession STORE /.test(l)));
  const partner = lines.filter((l) => partnerLine.test(l));
  assert.ok(
    partner.some((l) => l.includes('GET /v1/partner/user/list ok')),
    partner.join('\n'),
  );
  assert.ok(
    partner.some((l) => l.includes('/session/create ok')),
    partner.join('\n'),
  );
  assert.ok(
    partner.some((l) => l.includes('PARTNER_API')),
    'no debug line for the 401',
  );
});

test('the partner secret never appears (nor the wrong one)', () => {
  assertAbsent('partner secret', SECRET);
  assertAbsent('wrong partner secret', WRONG_SECRET);
  // Not even its distinctive part, e.g. after a prefix was cut.
  assertAbsent('partner secret (tail)', SECRET.slice(-20));
});

test('the verification code never appears, raw or hashed', () => {
  assertAbsent('raw verification code', RAW_CODE);
  assertAbsent('hashed verification token', HASHED);
  assertAbsent('auth secret', AUTH_SECRET);
});

test('the session token never appears', () => {
  assertAbsent('session token', SESSION_TOKEN);
});

test('the ChatBotKit session token never appears', () => {
  assert.ok(api.sessions.length >= 1, 'the child created no ChatBotKit session');
  for (const s of api.sessions) assertAbsent('createChatBotKitSession token', s.token);
});

test('debug lines carry no arguments: no email, no token, no query', () => {
  const debugLines = run.stderr.split('\n').filter((l) => l.startsWith('nextauth-chatbotkit '));
  assert.ok(debugLines.length > 10);
  for (const line of debugLines) {
    assert.ok(!line.includes(EMAIL), `the email is in a debug line: ${line}`);
    assert.ok(!line.includes('?'), `a query is in a debug line: ${line}`);
    assert.ok(!line.toLowerCase().includes('bearer'), line);
  }
});

test('a store whose errors quote its commands (as @upstash/redis does) leaks no token through the adapter', () => {
  // "ERR max requests limit exceeded, command was: [\"set\",\"session:<token>\",{...}]"
  // becomes the STORE error's message, which Auth.js logs. The adapter knows
  // the key and value it sent: neither the session token nor the
  // verification token may come out in its error.
  assert.match(run.echo, /echoing store createSession code=STORE/);
  assert.match(run.echo, /ERR max requests limit exceeded/, "the store's own reason should stay");
  assertAbsent('session token', SESSION_TOKEN, 'echo');
  assertAbsent('hashed verification token', HASHED, 'echo');
  assertAbsent('partner secret', SECRET, 'echo');
});
