import { describe, expect, it } from 'vitest';
import { createHolder, type Holder, HolderIndex } from './holder-index.js';

const CAP = 1000;

function holders(count: number): Holder[] {
  return Array.from({ length: count }, createHolder);
}

/** Every holder's positions point at itself, and the pair count adds up. */
function expectConsistent(index: HolderIndex<Holder>, all: Holder[]): void {
  let pairs = 0;
  for (const holder of all) {
    for (const id of holder.positions.keys()) {
      pairs++;
      const everyone = index.sample(id, CAP, createHolder());
      expect(everyone).toContain(holder);
    }
  }
  expect(index.announced).toBe(pairs);
}

describe('HolderIndex', () => {
  it('adds, ignores duplicates, withdraws, and forgets empty ids', () => {
    const index = new HolderIndex<Holder>();
    const [a, b] = holders(2) as [Holder, Holder];
    expect(index.add(a, ['x', 'y', 'x'], CAP)).toBe(0);
    expect(index.add(a, ['y'], CAP)).toBe(0);
    index.add(b, ['y'], CAP);
    expect(index.announced).toBe(3);
    expect(index.contentIds).toBe(2);
    index.remove(a, ['y', 'never']);
    expect(index.sample('y', 8, createHolder())).toEqual([b]);
    index.remove(a, ['x']);
    expect(index.contentIds).toBe(1);
    expect(index.sample('x', 8, createHolder())).toEqual([]);
    expectConsistent(index, [a, b]);
  });

  it('stops at the cap and reports how many new ids it ignored', () => {
    const index = new HolderIndex<Holder>();
    const a = createHolder();
    expect(index.add(a, ['1', '2', '3'], 2)).toBe(1);
    // Ids already held are not "new", so they are not counted against the cap.
    expect(index.add(a, ['1', '2', '4', '5'], 2)).toBe(2);
    expect([...a.positions.keys()]).toEqual(['1', '2']);
    index.remove(a, ['1']);
    expect(index.add(a, ['4'], 2)).toBe(0);
    expect(index.announced).toBe(2);
  });

  it('never samples the asker, and samples every other holder', () => {
    const index = new HolderIndex<Holder>();
    const all = holders(12);
    for (const h of all) index.add(h, ['x'], CAP);
    for (const asker of all) {
      const seen = new Set<Holder>();
      for (let i = 0; i < 200; i++) {
        const sample = index.sample('x', 3, asker);
        expect(sample).toHaveLength(3);
        expect(new Set(sample).size).toBe(3);
        expect(sample).not.toContain(asker);
        for (const h of sample) seen.add(h);
      }
      expect(seen.size).toBe(all.length - 1);
    }
  });

  it('stays consistent through removals from the middle and removeAll', () => {
    const index = new HolderIndex<Holder>();
    const all = holders(30);
    all.forEach((h, i) => {
      index.add(h, ['common', `own${i}`, `pair${i >> 1}`], CAP);
    });
    for (let i = 0; i < all.length; i += 3) index.remove(all[i] as Holder, ['common']);
    for (let i = 1; i < all.length; i += 4) index.removeAll(all[i] as Holder);
    expectConsistent(index, all);
    for (const h of all) index.removeAll(h);
    expect(index.announced).toBe(0);
    expect(index.contentIds).toBe(0);
  });
});
