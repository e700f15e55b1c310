// RedisStore over TLS (rediss://) against a real redis-server with a TLS
// port, its certificate issued by a throwaway CA made here with openssl.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AdapterError, ChatBotKitPartnerAdapter, RedisStore } from '../index.js';
import { freePort } from './helpers/net.mjs';
import { redisTestOptions, startRedis } from './helpers/redis.mjs';

describe('RedisStore over TLS', redisTestOptions(), () => {
  let dir;
  let redis;
  let certs;
  let url;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'nac-tls-'));
    // The server certificate needs its names as subjectAltName.
    writeFileSync(path.join(dir, 'server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
    const sign = (...args) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    sign(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=test CA',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
    );
    sign(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=localhost',
      '-keyout',
      'server.key',
      '-out',
      'server.csr',
    );
    sign(
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '1',
      '-out',
      'server.pem',
      '-extfile',
      'server.ext',
    );
    certs = {
      ca: readFileSync(path.join(dir, 'ca.pem'), 'utf8'),
      cert: path.join(dir, 'server.pem'),
      key: path.join(dir, 'server.key'),
    };
    const tlsPort = await freePort();
    redis = await startRedis({
      extraArgs: [
        '--tls-port',
        String(tlsPort),
        '--tls-cert-file',
        certs.cert,
        '--tls-key-file',
        certs.key,
        '--tls-ca-cert-file',
        path.join(dir, 'ca.pem'),
        '--tls-auth-clients',
        'no',
      ],
    });
    url = `rediss://localhost:${tlsPort}`;
  });

  after(async () => {
    await redis?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('values round-trip over rediss:// when the CA is trusted', async () => {
    const store = new RedisStore({ url, tls: { ca: certs.ca } });
    try {
      await store.set('tls:k', { a: 1 }, { px: 60_000 });
      assert.deepEqual(await store.get('tls:k'), { a: 1 });
      // It went over TLS to the same server: the plain port sees the key.
      assert.equal(redis.cli('GET', 'tls:k'), '{"a":1}');
    } finally {
      store.close();
    }
  });

  test('the adapter uses a TLS RedisStore for single-use tokens', async () => {
    const store = new RedisStore({ url, tls: { ca: certs.ca } });
    try {
      const adapter = ChatBotKitPartnerAdapter({
        secret: 's',
        store,
        baseUrl: 'http://127.0.0.1:9',
      });
      const token = {
        identifier: 'tls@example.com',
        token: 't1',
        expires: new Date(Date.now() + 60_000),
      };
      await adapter.createVerificationToken(token);
      assert.deepEqual(await adapter.useVerificationToken(token), token);
      assert.equal(await adapter.useVerificationToken(token), null);
    } finally {
      store.close();
    }
  });

  test('a server whose certificate is not trusted is refused with STORE', async () => {
    const store = new RedisStore({ url, timeout: 2000 });
    try {
      await assert.rejects(store.get('tls:k'), (e) => {
        assert.ok(e instanceof AdapterError);
        assert.equal(e.code, 'STORE');
        assert.match(e.message, /certificate/i);
        return true;
      });
    } finally {
      store.close();
    }
  });
});
