/**
 * Preloaded into the fuzzed server (node --expose-gc --import): SIGUSR2 runs a full garbage
 * collection, so the fuzzer can read the server's RSS after its garbage is gone rather than
 * whenever V8 next feels like collecting. The server itself is unchanged.
 */
const FULL_COLLECTIONS = 2;

process.on('SIGUSR2', () => {
  for (let i = 0; i < FULL_COLLECTIONS; i++) globalThis.gc?.();
});
