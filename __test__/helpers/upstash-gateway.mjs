// A local stand-in for Upstash's Redis REST API, in front of a real
// redis-server, so the real @upstash/redis and @vercel/kv clients can be
// tested here: POST / with a command array, POST /pipeline and
// /multi-exec with arrays of them, bearer token, and the base64 response
// encoding the clients ask for. Only what those clients send is covered.

import http from 'node:http';
import IORedis from 'ioredis';

/** Strings base64-encoded, recursively, as Upstash does on request. */
function encode(value, base64) {
  if (typeof value === 'string') return base64 ? Buffer.from(value).toString('base64') : value;
  if (Array.isArray(value)) return value.map((item) => encode(item, base64));
  return value;
}

export async function startUpstashGateway(redisUrl) {
  const redis = new IORedis(redisUrl, { maxRetriesPerRequest: 1 });
  const token = `gw-${Math.random().toString(16).slice(2)}`;
  const run = async (command) => {
    const [name, ...args] = command.map(String);
    return redis.call(name, ...args);
  };
  const server = http.createServer(async (req, res) => {
    const reply = (status, body) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'POST') return reply(405, { error: 'POST only' });
    if (req.headers.authorization !== `Bearer ${token}`)
      return reply(401, { error: 'Unauthorized' });
    const base64 = req.headers['upstash-encoding'] === 'base64';
    let body = '';
    for await (const chunk of req) body += chunk;
    try {
      const parsed = JSON.parse(body);
      if (req.url === '/pipeline' || req.url === '/multi-exec') {
        const results = [];
        if (req.url === '/multi-exec') {
          const replies = await redis.multi(parsed.map((c) => c.map(String))).exec();
          for (const [error, result] of replies) {
            results.push(error ? { error: error.message } : { result: encode(result, base64) });
          }
        } else {
          for (const command of parsed) {
            try {
              results.push({ result: encode(await run(command), base64) });
            } catch (e) {
              results.push({ error: e.message });
            }
          }
        }
        return reply(200, results);
      }
      return reply(200, { result: encode(await run(parsed), base64) });
    } catch (e) {
      return reply(400, { error: e.message });
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    token,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await redis.quit();
    },
  };
}
