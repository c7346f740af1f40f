import { type RandomInt, randomInt, sampleIndexes } from './random-sample.js';

/**
 * One announcer in a holder index: the content ids it announced, each with its slot in that id's
 * holder list, so adding, withdrawing and dropping one id are O(1) and a socket's ids go with it.
 */
export interface Holder {
  readonly positions: Map<string, number>;
}

export function createHolder(): Holder {
  return { positions: new Map() };
}

/**
 * Content id -> the holders that announced it. Lists rather than Sets so that a random sample
 * is O(max) (random access), not a walk over every holder of a popular id; removal swaps the
 * last holder into the freed slot and updates its position.
 */
export class HolderIndex<H extends Holder> {
  private readonly lists = new Map<string, H[]>();
  private pairs = 0;

  /** (holder, id) pairs announced: the memory this index holds. */
  get announced(): number {
    return this.pairs;
  }

  /** Distinct content ids with at least one holder. */
  get contentIds(): number {
    return this.lists.size;
  }

  /**
   * Adds `ids` to what `holder` announced, stopping once it has `cap`; duplicates are no-ops.
   * Returns how many new ids were ignored for the cap.
   */
  add(holder: H, ids: readonly string[], cap: number): number {
    let ignored = 0;
    for (const id of ids) {
      if (holder.positions.has(id)) continue;
      if (holder.positions.size >= cap) {
        ignored++;
        continue;
      }
      const list = this.lists.get(id);
      if (list) {
        holder.positions.set(id, list.length);
        list.push(holder);
      } else {
        holder.positions.set(id, 0);
        // A literal is allocated at its size; a push onto [] reserves 17 slots, and most ids
        // have one holder.
        this.lists.set(id, [holder]);
      }
      this.pairs++;
    }
    return ignored;
  }

  /** Removes `ids` from what `holder` announced; ids it never announced are no-ops. */
  remove(holder: H, ids: Iterable<string>): void {
    for (const id of ids) this.removeOne(holder, id);
  }

  /** Forgets everything `holder` announced (its socket closed). */
  removeAll(holder: H): void {
    for (const [id, position] of holder.positions) this.unlink(holder, id, position);
    holder.positions.clear();
  }

  /** Up to `max` random holders of `id` other than `except`. */
  sample(id: string, max: number, except: H, random: RandomInt = randomInt): H[] {
    const list = this.lists.get(id);
    if (!list) return [];
    const skip = except.positions.get(id);
    const candidates = skip === undefined ? list.length : list.length - 1;
    // Index i of the candidates is i of the list, or i + 1 once past the asker's own slot.
    return sampleIndexes(candidates, max, random).map(
      (i) => list[skip !== undefined && i >= skip ? i + 1 : i] as H,
    );
  }

  private removeOne(holder: H, id: string): void {
    const position = holder.positions.get(id);
    if (position === undefined) return;
    this.unlink(holder, id, position);
    holder.positions.delete(id);
  }

  /** Takes `holder` out of `id`'s list; the caller forgets the position. */
  private unlink(holder: H, id: string, position: number): void {
    const list = this.lists.get(id) as H[];
    const last = list.pop() as H;
    if (last !== holder) {
      list[position] = last;
      last.positions.set(id, position);
    }
    if (list.length === 0) this.lists.delete(id);
    this.pairs--;
  }
}
