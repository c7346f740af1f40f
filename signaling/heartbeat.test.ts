import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Heartbeat } from './heartbeat.js';

function counter() {
  return {
    beats: 0,
    heartbeat() {
      this.beats++;
    },
  };
}

describe('Heartbeat', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('pings each member once per interval, a bucket per tick', () => {
    const heartbeat = new Heartbeat<ReturnType<typeof counter>>(1000, 100);
    const members = Array.from({ length: 50 }, counter);
    for (const m of members) heartbeat.add(m);
    vi.advanceTimersByTime(100);
    // One tick pings one of ten buckets: 5 of the 50.
    expect(members.filter((m) => m.beats === 1)).toHaveLength(5);
    vi.advanceTimersByTime(900);
    expect(members.every((m) => m.beats === 1)).toBe(true);
    vi.advanceTimersByTime(3000);
    expect(members.every((m) => m.beats === 4)).toBe(true);
    heartbeat.stop();
  });

  it('forgets a member that leaves, also from inside its own heartbeat', () => {
    const heartbeat = new Heartbeat<{ heartbeat(): void; beats: number }>(200, 100);
    const gone = counter();
    const leaving = {
      beats: 0,
      heartbeat: () => {
        leaving.beats++;
        heartbeat.delete(leaving);
      },
    };
    heartbeat.add(gone);
    heartbeat.add(leaving);
    heartbeat.delete(gone);
    vi.advanceTimersByTime(1000);
    expect([gone.beats, leaving.beats, heartbeat.size]).toEqual([0, 1, 0]);
    heartbeat.stop();
  });

  it('uses one bucket when the interval is shorter than a tick', () => {
    const heartbeat = new Heartbeat<ReturnType<typeof counter>>(20, 100);
    const m = counter();
    heartbeat.add(m);
    vi.advanceTimersByTime(20);
    expect(m.beats).toBe(1);
    heartbeat.stop();
  });
});
