import { describe, expect, it } from 'vitest';
import type { ServerMessage } from '../protocol/index.js';
import { type Joined, Swarm, type SwarmMember } from './swarm.js';
import { SwarmDirectory } from './swarm-directory.js';

const CAP = 100;

function member(peerId: string): SwarmMember & { inbox: ServerMessage[] } {
  const inbox: ServerMessage[] = [];
  return { peerId, inbox, send: (m) => inbox.push(m), relay: () => undefined };
}

describe('Swarm', () => {
  it('finds holders of a content id, never the asker, and forgets a removed peer', () => {
    const swarm = new Swarm('https://site.example', 1);
    const a = swarm.add(member('a'));
    const b = swarm.add(member('b'));
    const c = swarm.add(member('c'));
    swarm.announce(a, ['x', 'y'], CAP);
    swarm.announce(b, ['y'], CAP);
    expect(swarm.findHolders(c, 'y', 8).sort()).toEqual(['a', 'b']);
    expect(swarm.findHolders(a, 'y', 8)).toEqual(['b']);
    swarm.withdraw(b, ['y']);
    expect(swarm.findHolders(c, 'y', 8)).toEqual(['a']);
    expect(swarm.announced).toBe(2);
    swarm.remove(a);
    expect(swarm.findHolders(c, 'x', 8)).toEqual([]);
    expect(swarm.announced).toBe(0);
    expect(swarm.member('a')).toBeUndefined();
  });

  it('answers no holders until the asker sees minSwarm other peers', () => {
    const swarm = new Swarm('s', 3);
    const members: Joined[] = [];
    const holder = swarm.add(member('h'));
    swarm.announce(holder, ['x'], CAP);
    const asker = swarm.add(member('q'));
    for (const id of ['p1', 'p2']) {
      expect(swarm.findHolders(asker, 'x', 8)).toEqual([]);
      members.push(swarm.add(member(id)));
    }
    expect(swarm.findHolders(asker, 'x', 8)).toEqual(['h']);
    swarm.remove(members[0] as Joined);
    expect(swarm.findHolders(asker, 'x', 8)).toEqual([]);
  });

  it('tells the others when quorum is reached and lost, only on changes', () => {
    const swarm = new Swarm('s', 2);
    const m = ['a', 'b', 'c', 'd'].map(member);
    const [a, b, c, d] = m.map((x) => swarm.add(x)) as [Joined, Joined, Joined, Joined];
    const [ia, ib, ic, id] = m.map((x) => x.inbox) as [
      ServerMessage[],
      ServerMessage[],
      ServerMessage[],
      ServerMessage[],
    ];
    // The third peer gives a and b their two others; c learns it from its welcome instead.
    expect(ia).toEqual([{ t: 'quorum', reached: true }]);
    expect(ib).toEqual([{ t: 'quorum', reached: true }]);
    expect(ic).toEqual([]);
    expect(id).toEqual([]);
    swarm.remove(d);
    expect(ia).toHaveLength(1);
    swarm.remove(c);
    for (const inbox of [ia, ib]) expect(inbox.at(-1)).toEqual({ t: 'quorum', reached: false });
    expect(ic).toEqual([]);
    swarm.remove(b);
    expect(ia).toHaveLength(2);
    swarm.remove(a);
  });

  it('refuses a duplicate peer id', () => {
    const swarm = new Swarm('s', 1);
    swarm.add(member('a'));
    expect(() => swarm.add(member('a'))).toThrow();
  });
});

describe('SwarmDirectory', () => {
  it('creates a swarm on first join and forgets it when the last peer leaves', () => {
    const directory = new SwarmDirectory(1);
    const first = directory.join('s', member('a'));
    const second = directory.join('s', member('b'));
    expect(second.swarm).toBe(first.swarm);
    expect(first.swarm.minSwarm).toBe(1);
    directory.leave(first.swarm, first.joined);
    expect(directory.size).toBe(1);
    directory.leave(second.swarm, second.joined);
    expect(directory.size).toBe(0);
    expect(directory.get('s')).toBeUndefined();
  });

  it('knows its largest swarm and the ids announced across swarms', () => {
    const directory = new SwarmDirectory(1);
    expect(directory.largestSwarm).toBe(0);
    const big = directory.join('big', member('a'));
    directory.join('big', member('b'));
    const small = directory.join('small', member('c'));
    big.swarm.announce(big.joined, ['x', 'y'], CAP);
    small.swarm.announce(small.joined, ['x'], CAP);
    expect(directory.largestSwarm).toBe(2);
    expect(directory.announced).toBe(3);
    directory.leave(big.swarm, big.joined);
    expect(directory.largestSwarm).toBe(1);
    expect(directory.announced).toBe(1);
  });
});
