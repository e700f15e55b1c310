// The fake Partner API in its own process, so that the measured client's
// process.cpuUsage() holds only client work. Started with fork(); sends
// { type: 'ready', url, secret } and answers { type: 'requests' } with the
// number of requests served so far. Its request log is emptied every 500 ms
// (kept as a count) so that it does not grow for the whole run.

import { startFakePartnerApi } from '../../testing/index.mjs';
import { benchUsers } from './users.mjs';

const count = Number(process.argv[2] ?? 512);
const api = await startFakePartnerApi({ users: benchUsers(count) });

let served = 0;
const drain = () => {
  served += api.calls();
  api.resetRequests();
};
setInterval(drain, 500).unref();

process.on('message', async (message) => {
  if (message?.type === 'requests') {
    drain();
    process.send({ type: 'requests', id: message.id, served });
  } else if (message?.type === 'close') {
    await api.close();
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));

process.send({ type: 'ready', url: api.url, secret: api.secret });
