/** A random integer in [0, bound). */
export type RandomInt = (bound: number) => number;

export const randomInt: RandomInt = (bound) => Math.floor(Math.random() * bound);

/**
 * `k` distinct indexes of [0, n), uniformly chosen and in random order, in O(k) time and memory
 * whatever `n` is (Floyd's algorithm, then a shuffle): a `find` for an id held by thousands of
 * peers costs no more than one held by ten.
 */
export function sampleIndexes(n: number, k: number, random: RandomInt = randomInt): number[] {
  const count = Math.max(0, Math.min(k, n));
  const chosen = new Set<number>();
  for (let j = n - count; j < n; j++) {
    const t = random(j + 1);
    chosen.add(chosen.has(t) ? j : t);
  }
  const out = [...chosen];
  // Floyd's set is uniform but its order is not: the late picks lean to high indexes.
  for (let i = out.length - 1; i > 0; i--) {
    const j = random(i + 1);
    [out[i], out[j]] = [out[j] as number, out[i] as number];
  }
  return out;
}
