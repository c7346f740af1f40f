import { describe, expect, it } from 'vitest';
import { Bitfield } from '../protocol/index.js';
import { Swarm, type SwarmMember } from './swarm.js';
import { SwarmDirectory } from './swarm-directory.js';

const ASSETS = 12;

function member(peerId: string): SwarmMember {
  return { peerId, send: () => {} };
}

function field(...indexes: number[]): Bitfield {
  const bits = new Bitfield(ASSETS);
  for (const i of indexes) bits.set(i);
  return bits;
}

describe('Swarm', () => {
  it('indexes holders by asset and follows have updates and removal', () => {
    const swarm = new Swarm('s', ASSETS);
    swarm.add(member('a'), field(0, 9));
    swarm.add(member('b'), field(9, 11));
    expect(swarm.findHolders(9, 8, 'x').sort()).toEqual(['a', 'b']);
    expect(swarm.findHolders(9, 8, 'a')).toEqual(['b']);
    swarm.setHave('b', field(1));
    expect(swarm.findHolders(11, 8, 'x')).toEqual([]);
    expect(swarm.findHolders(1, 8, 'x')).toEqual(['b']);
    swarm.remove('a');
    expect(swarm.findHolders(0, 8, 'x')).toEqual([]);
    expect(swarm.size).toBe(1);
  });

  it('samples at most max holders', () => {
    const swarm = new Swarm('s', ASSETS);
    for (let i = 0; i < 20; i++) swarm.add(member(`p${i}`), field(3));
    const sample = swarm.findHolders(3, 5, 'p0');
    expect(sample).toHaveLength(5);
    expect(new Set(sample).size).toBe(5);
    expect(sample).not.toContain('p0');
  });

  it('refuses a bitfield of the wrong length and a duplicate id', () => {
    const swarm = new Swarm('s', ASSETS);
    expect(() => swarm.add(member('a'), new Bitfield(ASSETS + 1))).toThrow(RangeError);
    swarm.add(member('a'), field());
    expect(() => swarm.add(member('a'), field())).toThrow();
    expect(() => swarm.setHave('a', new Bitfield(3))).toThrow(RangeError);
  });
});

describe('SwarmDirectory', () => {
  it('creates a swarm on first join and forgets it when the last peer leaves', () => {
    const directory = new SwarmDirectory();
    const swarm = directory.join('s', member('a'), field());
    expect(swarm.assets).toBe(ASSETS);
    expect(directory.join('s', member('b'), field())).toBe(swarm);
    directory.leave(swarm, 'a');
    expect(directory.size).toBe(1);
    directory.leave(swarm, 'b');
    expect(directory.size).toBe(0);
    expect(directory.get('s')).toBeUndefined();
  });

  it('knows the size of its largest swarm', () => {
    const directory = new SwarmDirectory();
    expect(directory.largestSwarm).toBe(0);
    const big = directory.join('big', member('a'), field());
    directory.join('big', member('b'), field());
    directory.join('small', member('c'), field());
    expect(directory.largestSwarm).toBe(2);
    directory.leave(big, 'a');
    expect(directory.largestSwarm).toBe(1);
  });
});
