/** Prefix of the line server-probe.ts prints on stderr (apart, so that reading it loads no probe). */
export const PROBE_PREFIX = 'peerconnect-fuzz-probe ';
