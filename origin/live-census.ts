import type { Registry } from 'prom-client';

/** Live figures the origin does not hold itself: signaling does. */
export interface LiveCensus {
  /** Open signaling connections: visitors whose agent is in a swarm now. */
  peersOnline(): Promise<number>;
  /** Swarms (manifest versions) with at least one peer. */
  swarms(): Promise<number>;
}

/**
 * A census read from gauges on the server's registry (signaling's read its live state at
 * collect time), so the origin needs no import of signaling/. A gauge not registered yet is 0.
 */
export function censusFromGauges(
  registry: Registry,
  names: { peersOnline: string; swarms: string },
): LiveCensus {
  const read = async (name: string) =>
    (await registry.getSingleMetric(name)?.get())?.values[0]?.value ?? 0;
  return {
    peersOnline: () => read(names.peersOnline),
    swarms: () => read(names.swarms),
  };
}
