// ESM entry of the `browser` condition (see browser.js).
import 'server-only';

export * from './edge.mjs';
export { default } from './edge.mjs';
