import { SIGNALING_LIMITS, SIGNALING_PROTOCOL } from '../../protocol/index.js';
import {
  anyValid,
  candidate,
  contentId,
  contentIds,
  frame,
  join,
  offerSdp,
  peerId,
  signalOfSize,
  valid,
} from './frames.js';
import type { FuzzSocket, OriginChoice } from './fuzz-socket.js';
import { hostileFrame } from './hostile-frames.js';
import type { Session } from './session.js';

/**
 * The sessions a run is made of: each opens its sockets, speaks (or breaks) the protocol in one
 * way, and ends. The adversarial-but-valid ones replay the attacks of issue 11 in v2's terms.
 */

/** A welcome or a found slower than this is given up (the session goes on or ends). */
const REPLY_TIMEOUT_MS = 3_000;
const CAP = SIGNALING_LIMITS.maxMessageBytes;
const IDS = SIGNALING_LIMITS.maxIdsPerMessage;
/** Announces that fill one socket to maxAnnouncedIds, and two past it. */
const HOARD_ANNOUNCES = Math.ceil(SIGNALING_LIMITS.maxAnnouncedIds / IDS) + 2;
/** At most this many sockets hold a full maxAnnouncedIds at once (each costs the server MBs). */
export const MAX_HOARDERS = 4;
export const MAX_VICTIMS = 2;
/** Just under the server's 100 messages/s per connection. */
const UNDER_RATE_MS = 12;
const OFFER_SIZES = [600, 2_000, 5_000, 16_000, CAP];
const PAIR_FIND_TRIES = 3;
const PAIR_FIND_PAUSE_MS = 100;
const ODD_ORIGINS: readonly OriginChoice[] = ['none', 'null', 'cross', 'odd'];

export type Scenario = (s: Session) => Promise<void>;

/** Hostile frames mixed with valid ones (which reset the server's count of bad ones in a row). */
async function garbage(s: Session): Promise<void> {
  const socket = await s.open(s.prng.chance(0.15) ? s.prng.pick(ODD_ORIGINS) : 'own');
  if (!socket) return;
  if (s.prng.chance(0.7) && socket.peerId === undefined) await socket.join(REPLY_TIMEOUT_MS);
  const frames = s.prng.range(10, 150);
  for (let i = 0; i < frames; i++) {
    const aim = s.aim(socket);
    const f = s.prng.chance(0.7) ? hostileFrame(s.prng, aim) : anyValid(s.prng, aim.to, aim.from);
    if (!(await s.send(socket, f))) return;
    if (s.prng.chance(0.3)) await s.sleep(s.prng.int(20));
  }
}

/** Messages before join, signals before welcome, joins twice, joins that try to shape a swarm. */
async function outOfOrder(s: Session): Promise<void> {
  const socket = await s.open();
  if (!socket) return;
  const p = s.prng;
  switch (p.int(6)) {
    case 0:
      for (const f of [
        valid({ t: 'announce', ids: contentIds(p, 4) }),
        valid({ t: 'withdraw', ids: contentIds(p, 4) }),
        valid({ t: 'find', id: 1, content: p.pick(s.shared.hotIds) }),
        valid({ t: 'signal', to: s.shared.watchedPeer, data: { type: 'offer', sdp: 'v=0' } }),
      ]) {
        if (!(await s.send(socket, f))) return;
      }
      if (await socket.gotError('not-joined', REPLY_TIMEOUT_MS)) {
        s.note('not-joined answered');
      }
      break;
    case 1:
      // No wait for the welcome: the signal races it.
      await s.send(socket, join(), true);
      await s.send(socket, candidate(p, s.shared.somePeer(p)), true);
      await s.send(socket, valid({ t: 'find', id: 2, content: p.pick(s.shared.hotIds) }), true);
      break;
    case 2:
      for (let i = p.range(2, 5); i > 0; i--) if (!(await s.send(socket, join(), true))) return;
      if (await socket.gotError('already-joined', REPLY_TIMEOUT_MS)) {
        s.note('already-joined answered');
      }
      break;
    case 3: {
      await s.send(socket, join(p.pick([0, 1, SIGNALING_PROTOCOL + 1, 0xffff_ffff])));
      await socket.closed;
      s.note(`wrong protocol closed ${socket.closeCode}`);
      break;
    }
    case 4:
      // The old attacks in v2 terms: a join that names a swarm's shape, a 30 KB join.
      await s.send(
        socket,
        frame(p.chance(0.5) ? 'wrong-type' : 'oversized', {
          t: 'join',
          protocol: SIGNALING_PROTOCOL,
          assets: 1,
          swarm: p.pick(s.shared.hotIds),
          minSwarm: 1000,
          pad: 'x'.repeat(p.pick([100, 17_000, CAP - 200])),
        }),
      );
      break;
    default:
      await socket.join(REPLY_TIMEOUT_MS);
      await s.send(socket, valid({ t: 'withdraw', ids: contentIds(p, IDS) }));
      await s.send(socket, valid({ t: 'announce', ids: [...s.shared.hotIds.slice(0, 8)] }));
      await s.send(socket, valid({ t: 'withdraw', ids: [...s.shared.hotIds.slice(0, 8)] }));
      await s.send(socket, valid({ t: 'withdraw', ids: [...s.shared.hotIds.slice(0, 8)] }));
  }
}

/** Fills one socket to maxAnnouncedIds with full announces and past it, then leaves. */
async function hoard(s: Session): Promise<void> {
  if (s.shared.hoarders >= MAX_HOARDERS) return toggle(s);
  s.shared.hoarders++;
  try {
    const socket = await s.joined(REPLY_TIMEOUT_MS);
    if (!socket) return;
    const batches: string[][] = [];
    for (let i = 0; i < HOARD_ANNOUNCES; i++) {
      const ids = contentIds(s.prng, IDS);
      batches.push(ids);
      if (!(await s.send(socket, valid({ t: 'announce', ids })))) return;
      await s.sleep(UNDER_RATE_MS);
    }
    const capped = await socket.gotError('too-many-ids', REPLY_TIMEOUT_MS);
    if (s.live) s.note(capped ? 'capped at maxAnnouncedIds' : 'no cap seen');
    await s.sleep(s.prng.range(200, 2_000));
    // Half withdraw everything (withdraw path), half just go (teardown path).
    if (s.prng.chance(0.5)) return;
    for (const ids of batches) {
      if (!(await s.send(socket, valid({ t: 'withdraw', ids })))) return;
      await s.sleep(UNDER_RATE_MS);
    }
  } finally {
    s.shared.hoarders--;
  }
}

/** The same full batch announced and withdrawn over and over, just under the rate limit. */
async function toggle(s: Session): Promise<void> {
  const socket = await s.joined(REPLY_TIMEOUT_MS);
  if (!socket) return;
  const ids = s.prng.chance(0.3) ? [...s.shared.hotIds] : contentIds(s.prng, s.prng.range(1, IDS));
  for (let i = s.prng.range(10, 40); i > 0; i--) {
    if (!(await s.send(socket, valid({ t: 'announce', ids })))) return;
    await s.sleep(UNDER_RATE_MS);
    if (!(await s.send(socket, valid({ t: 'withdraw', ids })))) return;
    await s.sleep(UNDER_RATE_MS);
  }
}

/** Finds as fast as the socket can send: past the find burst they are answered empty. */
async function findFlood(s: Session): Promise<void> {
  const socket = await s.joined(REPLY_TIMEOUT_MS);
  if (!socket) return;
  if (s.prng.chance(0.5)) await s.send(socket, valid({ t: 'announce', ids: [...s.shared.hotIds] }));
  const finds = s.prng.range(50, 250);
  for (let id = 0; id < finds; id++) {
    const content = s.prng.chance(0.7) ? s.prng.pick(s.shared.hotIds) : contentId(s.prng);
    const max = s.prng.chance(0.5) ? s.prng.range(1, SIGNALING_LIMITS.maxFoundPeers) : undefined;
    if (!(await s.send(socket, valid({ t: 'find', id, content, ...(max && { max }) }), true)))
      break;
  }
  await s.sleep(REPLY_TIMEOUT_MS / 3);
  s.note((socket.received.found ?? 0) > 0 ? 'finds answered' : 'no find answered');
}

/** Offers and candidates at one peer: a paused victim, the watcher, or another fuzz peer. */
async function offerFlood(s: Session): Promise<void> {
  const socket = await s.joined(REPLY_TIMEOUT_MS);
  if (!socket?.peerId) return;
  const victims = [...s.shared.victims];
  const to =
    victims.length > 0 && s.prng.chance(0.5) ? s.prng.pick(victims) : s.shared.somePeer(s.prng);
  const size = s.prng.pick(OFFER_SIZES);
  for (let i = s.prng.range(20, 150); i > 0; i--) {
    const f = s.prng.chance(0.8)
      ? signalOfSize(to, socket.peerId, s.prng, size)
      : candidate(s.prng, to);
    if (!(await s.send(socket, f))) return;
    await s.sleep(UNDER_RATE_MS);
  }
}

/**
 * A visitor whose tab froze: it stops reading while a member floods it with offers at the cap,
 * just under the rate limit (issue 11's kick), and others may join in; then it looks at its
 * socket. Noted, not failed: whether the victim survives is signaling's policy to fix.
 */
async function victim(s: Session): Promise<void> {
  if (s.shared.victims.size >= MAX_VICTIMS) return churn(s);
  const socket = await s.joined(REPLY_TIMEOUT_MS);
  const attacker = await s.joined(REPLY_TIMEOUT_MS, 1);
  if (!socket?.peerId || !attacker?.peerId) return;
  const id = socket.peerId;
  s.shared.victims.add(id);
  socket.pause();
  const until = performance.now() + s.prng.range(2_000, 6_000);
  while (performance.now() < until) {
    if (!(await s.send(attacker, signalOfSize(id, attacker.peerId, s.prng, CAP - 64)))) break;
    await s.sleep(UNDER_RATE_MS);
  }
  s.shared.victims.delete(id);
  socket.resume();
  await s.sleep(300);
  s.note(
    socket.closeCode === undefined ? 'victim kept its socket' : `victim closed ${socket.closeCode}`,
  );
}

/** Signals to peers that are not there: made up, gone, oneself. */
async function unknownPeer(s: Session): Promise<void> {
  const socket = await s.joined(REPLY_TIMEOUT_MS);
  if (!socket?.peerId) return;
  for (let i = s.prng.range(10, 100); i > 0; i--) {
    const to = s.prng.pick([peerId(s.prng), socket.peerId, s.shared.somePeer(s.prng)]);
    const f = valid({
      t: 'signal',
      to,
      data: { type: 'offer', sdp: offerSdp(s.prng, socket.peerId, 300) },
    });
    if (!(await s.send(socket, f))) return;
    await s.sleep(UNDER_RATE_MS);
  }
}

/** Far past the per-connection rate, all at once: the server must throttle, then close. */
async function rateFlood(s: Session): Promise<void> {
  const socket = await s.joined(REPLY_TIMEOUT_MS);
  if (!socket?.peerId) return;
  for (let i = s.prng.range(250, 400); i > 0; i--) {
    if (!(await s.send(socket, anyValid(s.prng, s.shared.somePeer(s.prng), socket.peerId), true)))
      break;
  }
  await Promise.race([socket.closed, s.sleep(REPLY_TIMEOUT_MS)]);
  if (s.live)
    s.note(
      socket.closeCode === undefined ? 'flood not closed' : `flood closed ${socket.closeCode}`,
    );
}

/** Join, announce hot ids, find one, offer to a holder, leave: many short-lived visitors. */
async function churn(s: Session): Promise<void> {
  const socket = await s.joined(REPLY_TIMEOUT_MS);
  if (!socket?.peerId) return;
  const ids = s.shared.hotIds.filter(() => s.prng.chance(0.2));
  if (ids.length > 0 && !(await s.send(socket, valid({ t: 'announce', ids })))) return;
  const content = s.prng.pick(s.shared.hotIds);
  if (!(await s.send(socket, valid({ t: 'find', id: 7, content })))) return;
  const found = await socket.next((m) => m.t === 'found' && m.id === 7, REPLY_TIMEOUT_MS);
  const holder = found?.t === 'found' ? found.peers[0] : undefined;
  if (holder)
    await s.send(socket, signalOfSize(holder, socket.peerId, s.prng, s.prng.pick(OFFER_SIZES)));
  await s.sleep(s.prng.int(500));
}

/** Two fuzz peers that do it right: B finds A's private id, offers, A answers, both stamped. */
async function relayPair(s: Session): Promise<void> {
  const a = await s.joined(REPLY_TIMEOUT_MS, 1);
  const b = await s.joined(REPLY_TIMEOUT_MS, 2);
  if (!a?.peerId || !b?.peerId) return;
  const own = contentId(s.prng);
  await s.send(a, valid({ t: 'announce', ids: [own] }));
  // A's announce and B's find travel on different sockets: B may ask before A's is read.
  let found = false;
  for (let id = 1; id <= PAIR_FIND_TRIES && !found; id++) {
    await s.sleep(PAIR_FIND_PAUSE_MS);
    if (!(await s.send(b, valid({ t: 'find', id, content: own })))) return;
    const answer = await b.next((m) => m.t === 'found' && m.id === id, REPLY_TIMEOUT_MS);
    found = answer?.t === 'found' && answer.peers.includes(a.peerId);
  }
  if (!found) return s.note(s.live ? 'pair: A not found' : 'pair: run over');
  for (let i = s.prng.range(2, 10); i > 0; i--) {
    if (!(await exchange(s, b, a))) return s.note(s.live ? 'pair: relay lost' : 'pair: run over');
  }
  s.note('pair: relayed');
}

async function exchange(s: Session, from: FuzzSocket, to: FuzzSocket): Promise<boolean> {
  const sdp = offerSdp(s.prng, from.peerId as string, s.prng.pick(OFFER_SIZES.slice(0, 3)));
  const arrived = to.next(
    (m) => m.t === 'signal' && 'sdp' in m.data && m.data.sdp === sdp,
    REPLY_TIMEOUT_MS,
  );
  if (
    !(await s.send(
      from,
      valid({ t: 'signal', to: to.peerId as string, data: { type: 'offer', sdp } }),
    ))
  ) {
    return false;
  }
  const message = await arrived;
  return message?.t === 'signal' && message.from === from.peerId;
}

export const SCENARIOS = {
  garbage,
  outOfOrder,
  hoard,
  toggle,
  findFlood,
  offerFlood,
  victim,
  unknownPeer,
  rateFlood,
  churn,
  relayPair,
} satisfies Record<string, Scenario>;
