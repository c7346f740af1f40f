import type { Page } from '@playwright/test';
import { AGENT_LIMITS } from '../page/index.js';
import { WIRE_LIMITS } from '../protocol/index.js';

/** The agent's own message size and send-queue marks, so the two are compared like for like. */
const RAW = {
  messageBytes: WIRE_LIMITS.maxMessageBytes,
  highWaterMark: AGENT_LIMITS.sendHighWaterMark,
  lowWaterMark: AGENT_LIMITS.sendLowWaterMark,
  connectTimeoutMs: 10_000,
  /** Sent first and not timed. */
  warmupBytes: 2 * 1024 * 1024,
} as const;

/**
 * The baseline: one raw RTCDataChannel between the same two pages, `bytes` sent in 64 KiB
 * messages with the send queue kept under the same high-water mark the agent uses. Signaling
 * is relayed by the harness itself. `configuration` gives it ICE servers (pages in different
 * networks: STUN or TURN). Returns MB/s (10^6 bytes per second).
 */
export async function rawDataChannelThroughput(
  sender: Page,
  receiver: Page,
  bytes: number,
  configuration: RTCConfiguration = {},
): Promise<number> {
  const setup = ({ initiator, config }: { initiator: boolean; config: RTCConfiguration }) => {
    const w = window as unknown as Record<string, unknown>;
    const pc = new RTCPeerConnection(config);
    const dc = pc.createDataChannel('bench', { negotiated: true, id: 7 });
    dc.binaryType = 'arraybuffer';
    const candidates: RTCIceCandidateInit[] = [];
    pc.onicecandidate = (e) => {
      if (e.candidate) candidates.push(e.candidate.toJSON());
    };
    w.benchPc = pc;
    w.benchDc = dc;
    w.benchCandidates = candidates;
    w.benchOpen = new Promise((resolve) => {
      dc.onopen = resolve;
    });
    return initiator;
  };
  await sender.evaluate(setup, { initiator: true, config: configuration });
  await receiver.evaluate(setup, { initiator: false, config: configuration });
  const offer = await sender.evaluate(async () => {
    const pc = (window as unknown as { benchPc: RTCPeerConnection }).benchPc;
    await pc.setLocalDescription(await pc.createOffer());
    return pc.localDescription!.toJSON();
  });
  const answer = await receiver.evaluate(async (o) => {
    const pc = (window as unknown as { benchPc: RTCPeerConnection }).benchPc;
    await pc.setRemoteDescription(o);
    await pc.setLocalDescription(await pc.createAnswer());
    return pc.localDescription!.toJSON();
  }, offer);
  await sender.evaluate(async (a) => {
    await (window as unknown as { benchPc: RTCPeerConnection }).benchPc.setRemoteDescription(a);
  }, answer);
  const exchange = async (from: Page, to: Page) => {
    const candidates = await from.evaluate(
      () => (window as unknown as { benchCandidates: RTCIceCandidateInit[] }).benchCandidates,
    );
    await to.evaluate(async (list) => {
      for (const c of list)
        await (window as unknown as { benchPc: RTCPeerConnection }).benchPc.addIceCandidate(c);
    }, candidates);
  };
  const deadline = Date.now() + RAW.connectTimeoutMs;
  for (;;) {
    await exchange(sender, receiver);
    await exchange(receiver, sender);
    const open = await sender.evaluate(
      () => (window as unknown as { benchDc: RTCDataChannel }).benchDc.readyState === 'open',
    );
    if (open) break;
    if (Date.now() > deadline) throw new Error('raw data channel did not open');
    await new Promise((r) => setTimeout(r, 100));
  }
  // The agent's connection is warm when it transfers; time the raw one past its slow start too.
  const received = receiver.evaluate(
    ({ total, warmup }) =>
      new Promise<number>((resolve) => {
        const dc = (window as unknown as { benchDc: RTCDataChannel }).benchDc;
        let got = 0;
        let start = 0;
        dc.onmessage = (e) => {
          got += (e.data as ArrayBuffer).byteLength;
          if (start === 0 && got >= warmup) start = performance.now();
          if (got >= warmup + total) resolve(performance.now() - start);
        };
      }),
    { total: bytes, warmup: RAW.warmupBytes },
  );
  await sender.evaluate(
    async ({ total, limits }) => {
      const dc = (window as unknown as { benchDc: RTCDataChannel }).benchDc;
      dc.bufferedAmountLowThreshold = limits.lowWaterMark;
      const message = new Uint8Array(limits.messageBytes);
      crypto.getRandomValues(message);
      const all = total + limits.warmupBytes;
      for (let sent = 0; sent < all; sent += limits.messageBytes) {
        if (dc.bufferedAmount > limits.highWaterMark) {
          await new Promise((r) => {
            dc.onbufferedamountlow = r;
          });
        }
        dc.send(message.slice(0, Math.min(limits.messageBytes, all - sent)));
      }
    },
    { total: bytes, limits: RAW },
  );
  const ms = await received;
  await sender.evaluate(() =>
    (window as unknown as { benchPc: RTCPeerConnection }).benchPc.close(),
  );
  await receiver.evaluate(() =>
    (window as unknown as { benchPc: RTCPeerConnection }).benchPc.close(),
  );
  return bytes / 1e6 / (ms / 1000);
}
