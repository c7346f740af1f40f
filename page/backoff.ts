import { BACKOFF } from './config.js';

/**
 * Delay before reconnect attempt `attempt` (0 = first retry): a random point in the upper half
 * of the doubled ceiling, so tabs dropped together by a server restart do not return together.
 */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(BACKOFF.maxMs, BACKOFF.initialMs * 2 ** attempt);
  return ceiling / 2 + (random() * ceiling) / 2;
}
