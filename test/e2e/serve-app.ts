/**
 * Serves a built app and the signaling endpoint on 127.0.0.1 for the e2e tests
 * that run inside a network namespace (test/e2e/netns.ts starts this with
 * `ip netns exec`). Prints one JSON line with the port when listening.
 * Usage: tsx test/e2e/serve-app.ts <dist-folder>
 */
import { createServer, listening } from '../../signaling/serve';

const root = process.argv[2];
if (!root) throw new Error('usage: serve-app.ts <dist-folder>');
const server = createServer({ root, port: 0, host: '127.0.0.1', log: (r) => process.stderr.write(JSON.stringify(r) + '\n') });
await listening(server);
const address = server.address();
if (!address || typeof address === 'string') throw new Error('server has no port');
process.stdout.write(JSON.stringify({ event: 'listening', port: address.port }) + '\n');
const stop = () => {
  server.signaling?.close();
  server.closeAllConnections();
  server.close(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
