/** What server-probe.ts and server-child.ts share (apart, so that the fuzzer loads no probe). */

/** Prefix of the line the probe prints on stderr. */
export const PROBE_PREFIX = 'peerconnect-fuzz-probe ';
/** The server's hard deadline in ms, enforced from inside too (if the fuzzer itself is killed). */
export const DEADLINE_ENV = 'PEERCONNECT_FUZZ_DEADLINE_MS';
