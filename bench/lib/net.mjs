// Loopback ports for the bench and the tests.

import net from 'node:net';

/** A free loopback port: nothing listens on it (until something does). */
export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
