import { describe, expect, it } from 'vitest';
import { bodyCapped, readCapped } from './read-capped.js';

function pieces(sizes: number[], onCancel?: () => void): ReadableStream<Uint8Array> {
  const queue = sizes.map((size, i) => new Uint8Array(size).fill(i + 1));
  return new ReadableStream({
    pull(controller) {
      const next = queue.shift();
      if (next) controller.enqueue(next);
      else controller.close();
    },
    cancel: onCancel,
  });
}

describe('readCapped', () => {
  it('reads up to the cap, and stops reading (cancels) past it', async () => {
    expect((await readCapped(pieces([3, 4]), 7))?.map((p) => p.byteLength)).toEqual([3, 4]);
    let cancelled = false;
    expect(
      await readCapped(
        pieces([3, 4, 1000], () => {
          cancelled = true;
        }),
        6,
      ),
    ).toBeUndefined();
    expect(cancelled).toBe(true);
  });

  it('answers undefined for a body that breaks', async () => {
    const broken = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.error(new TypeError('network'));
      },
    });
    expect(await readCapped(broken, 100)).toBeUndefined();
  });
});

describe('bodyCapped', () => {
  it('joins the pieces of a body under the cap, and refuses one over it', async () => {
    expect(await bodyCapped(new Response(pieces([2, 3])), 5)).toEqual(
      new Uint8Array([1, 1, 2, 2, 2]),
    );
    expect(await bodyCapped(new Response(pieces([2, 3])), 4)).toBeUndefined();
    expect(await bodyCapped(new Response(null), 4)).toBeUndefined();
  });
});
