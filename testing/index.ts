/** Test helpers for unit, e2e and bench code; never part of the build. */

export * from './prometheus-text.js';
export * from './redis-server.js';
export * from './self-signed-cert.js';
export * from './test-origin.js';
export * from './test-site.js';
