import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { SignalData } from '../../protocol/index.js';
import { BenchPeer, type PeerEvents } from './bench-peer.js';
import { ADDRESSES_PER_BLOCK, LOAD_LIMITS, PEER_BEHAVIOUR } from './constants.js';
import { ageOf, Pair } from './exchange.js';
import { type LoadErrorCode, noErrors, type ParentMessage, type WorkerMessage } from './ipc.js';

/**
 * A client process of the bench (forked by load-run.ts): holds its share of the peers, pairs
 * them (peer 2k offers to 2k+1, both here, so one clock stamps and reads every message) and
 * relays at the rate the parent asks.
 */

function reply(message: WorkerMessage): void {
  process.send?.(message);
}

/** Source address of global peer `g` (constants.ts explains the layout). */
function addressOf(g: number): string {
  return `127.0.${1 + Math.floor(g / ADDRESSES_PER_BLOCK)}.${1 + (g % ADDRESSES_PER_BLOCK)}`;
}

/** Peer `g`'s own content id: its index in hex, so its partner can find exactly it. */
function ownIdOf(g: number): string {
  return g.toString(16).padStart(16, '0');
}

/** Sampling step of the event-loop delay histogram. */
const LOOP_DELAY_RESOLUTION_MS = 10;
/** How often the drain looks whether every exchange has finished. */
const DRAIN_POLL_MS = 20;

const peers: BenchPeer[] = [];
const pairs: Pair[] = [];
const pairOf = new Map<BenchPeer, Pair>();
let errors = noErrors();
let details: Record<string, number> = {};
let latencies: number[] = [];
let maxBySecond: number[] = [];
let phaseStarted = 0;
let sent = 0;
let delivered = 0;
/** Whether replies continue an exchange (off once the relay phase and its drain are over). */
let relaying = false;

const events: PeerEvents = {
  failed(code: LoadErrorCode, detail: string) {
    errors[code]++;
    const key = `${code}: ${detail}`;
    details[key] = (details[key] ?? 0) + 1;
  },
  signal(peer: BenchPeer, _from: string, data: SignalData) {
    delivered++;
    const age = ageOf(data);
    if (age === undefined) events.failed('bad-frame', 'relayed signal without a stamp');
    else {
      latencies.push(age);
      const second = Math.floor((performance.now() - phaseStarted) / 1000);
      maxBySecond[second] = Math.max(maxBySecond[second] ?? 0, age);
    }
    const pair = pairOf.get(peer);
    if (!pair || !relaying) return;
    if (pair.reply(peer, data)) sent++;
  },
};

async function pairUp(offerer: BenchPeer, answerer: BenchPeer, g: number): Promise<void> {
  offerer.announce([ownIdOf(g), ...PEER_BEHAVIOUR.sharedIds]);
  answerer.announce([ownIdOf(g + 1), ...PEER_BEHAVIOUR.sharedIds]);
  void offerer.find(PEER_BEHAVIOUR.sharedIds[g % PEER_BEHAVIOUR.sharedIds.length]!);
  // Announce and find travel on different sockets, so the find may be answered first.
  for (let attempt = 0; attempt < LOAD_LIMITS.findRetries; attempt++) {
    const found = await offerer.find(ownIdOf(g + 1));
    if (answerer.peerId && found.includes(answerer.peerId)) {
      const pair = new Pair(offerer, answerer, ownIdOf(g + 1));
      pairs.push(pair);
      pairOf.set(offerer, pair);
      pairOf.set(answerer, pair);
      return;
    }
    if (!offerer.isOpen) break;
    await new Promise((resolve) => setTimeout(resolve, LOAD_LIMITS.findRetryMs));
  }
  events.failed('partner-not-found', 'no found for the partner id');
}

async function ramp(message: Extract<ParentMessage, { t: 'ramp' }>): Promise<void> {
  const deadline = performance.now() + message.deadlineMs;
  const pairings: Promise<void>[] = [];
  let next = 0;
  const progress = setInterval(
    () => reply({ t: 'progress', joined: joinedCount(), failed: errors['connect-failed'] }),
    LOAD_LIMITS.progressMs,
  );
  // Whole pairs at a time, so a pair's two peers are open together.
  const runner = async () => {
    while (next < message.count && performance.now() < deadline) {
      const local = next;
      next += 2;
      const g = message.firstPeer + local;
      const urlOf = (peer: number) => message.urls[peer % message.urls.length]!;
      const offerer = new BenchPeer(urlOf(g), message.origin, addressOf(g), events);
      const answerer = new BenchPeer(urlOf(g + 1), message.origin, addressOf(g + 1), events);
      peers.push(offerer, answerer);
      const [a, b] = await Promise.all([offerer.ready, answerer.ready]);
      if (a && b) pairings.push(pairUp(offerer, answerer, g));
    }
  };
  await Promise.all(Array.from({ length: Math.ceil(LOAD_LIMITS.connectConcurrency / 2) }, runner));
  await Promise.all(pairings);
  clearInterval(progress);
  reply({ t: 'ramped', joined: joinedCount(), paired: pairs.length, errors, details });
}

function joinedCount(): number {
  let open = 0;
  for (const peer of peers) if (peer.isOpen) open++;
  return open;
}

async function relay(message: Extract<ParentMessage, { t: 'relay' }>): Promise<void> {
  errors = noErrors();
  details = {};
  latencies = [];
  sent = 0;
  delivered = 0;
  relaying = true;
  const exchangesPerMs = message.messagesPerSecond / PEER_BEHAVIOUR.messagesPerExchange / 1000;
  const end = performance.now() + message.seconds * 1000;
  let last = performance.now();
  let due = 0;
  let cursor = 0;
  let starved = 0;
  const loopDelay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
  loopDelay.enable();
  const cpuBefore = process.cpuUsage();
  phaseStarted = performance.now();
  maxBySecond = [];
  await new Promise<void>((done) => {
    const tick = setInterval(() => {
      const now = performance.now();
      if (now >= end) {
        clearInterval(tick);
        done();
        return;
      }
      due += (now - last) * exchangesPerMs;
      last = now;
      for (; due >= 1; due--) {
        let started = false;
        for (let tried = 0; tried < pairs.length && !started; tried++) {
          const pair = pairs[cursor]!;
          cursor = (cursor + 1) % pairs.length;
          if (!pair.busy) started = pair.start();
        }
        if (!started) {
          starved++;
          due = 0;
          break;
        }
        sent++;
      }
    }, LOAD_LIMITS.tickMs);
  });
  await drain();
  relaying = false;
  loopDelay.disable();
  const cpu = process.cpuUsage(cpuBefore);
  const cpuPercent = ((cpu.user + cpu.system) / 1000 / (performance.now() - phaseStarted)) * 100;
  const lost = sent - delivered;
  if (lost > 0) {
    errors['relay-lost'] += lost;
    details['relay-lost: sent, never delivered'] = lost;
  }
  reply({
    t: 'relayed',
    latenciesMs: latencies,
    maxMsBySecond: Array.from(maxBySecond, (ms) => ms ?? 0),
    sent,
    delivered,
    starved,
    loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
    cpuPercent,
    joined: joinedCount(),
    errors,
    details,
  });
}

/** Waits until every exchange under way has finished, or LOAD_LIMITS.drainMs. */
async function drain(): Promise<void> {
  const until = performance.now() + LOAD_LIMITS.drainMs;
  while (pairs.some((pair) => pair.busy) && performance.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
  }
}

async function closeAll(): Promise<void> {
  await Promise.all(peers.map((peer) => peer.close(LOAD_LIMITS.stopMs)));
  reply({ t: 'closed' });
  process.exit(0);
}

// The parent's end is ours: without it, nothing would ever close these sockets.
process.on('disconnect', () => process.exit(1));
process.on('message', (message: ParentMessage) => {
  if (message.t === 'ramp') void ramp(message);
  else if (message.t === 'relay') void relay(message);
  else void closeAll();
});
reply({ t: 'ready' });
