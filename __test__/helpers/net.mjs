// Loopback ports for the tests: the bench's helper (bench/lib/net.mjs).
export { freePort } from '../../bench/lib/net.mjs';
