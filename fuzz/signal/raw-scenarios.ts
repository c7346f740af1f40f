import { SIGNALING_LIMITS, SIGNALING_PROTOCOL } from '../../protocol/index.js';
import {
  encodeFrame,
  OPCODES,
  RawConnection,
  type RawFrame,
  upgradeRequest,
} from './raw-socket.js';
import { bump } from './run-stats.js';
import type { Session } from './session.js';

/**
 * Sessions below ws: broken WebSocket framing after a good upgrade, and broken upgrades. Each
 * writes its frames, waits for the server to close (or not), and notes the close code.
 */

const CAP = SIGNALING_LIMITS.maxMessageBytes;
/** How long the server gets to close a broken connection before we cut it. */
const RAW_WAIT_MS = 1_500;
const UPGRADE_TIMEOUT_MS = 3_000;
/** Node's default limit on request headers is 16 KiB: this is past it. */
const HUGE_HEADER_BYTES = 20_000;
const JOIN = Buffer.from(JSON.stringify({ t: 'join', protocol: SIGNALING_PROTOCOL }));
const INVALID_UTF8 = [
  Buffer.from([0xc3, 0x28]),
  Buffer.from([0xff]),
  Buffer.from([0xed, 0xa0, 0x80]),
  Buffer.from([0xf4, 0x90, 0x80, 0x80]),
  Buffer.from([0xe2, 0x82]),
];

const text = (payload: Buffer, extra: Partial<RawFrame> = {}): RawFrame => ({
  opcode: OPCODES.text,
  payload,
  ...extra,
});

/** Fragments of `payload` as one text message: `parts` frames, the last with FIN. */
function fragments(payload: Buffer, parts: number): RawFrame[] {
  const size = Math.ceil(payload.length / parts);
  const out: RawFrame[] = [];
  for (let i = 0; i < payload.length; i += size) {
    out.push({
      opcode: i === 0 ? OPCODES.text : OPCODES.continuation,
      payload: payload.subarray(i, i + size),
      fin: i + size >= payload.length,
    });
  }
  return out;
}

/** Raw cases by name: the frames to write, and whether to end the TCP stream after them. */
const RAW_CASES: Record<string, (s: Session) => { frames: Buffer[]; end?: boolean }> = {
  'truncated payload': (s) => {
    const frame = encodeFrame(text(Buffer.alloc(s.prng.range(200, CAP), 0x20)));
    return { frames: [frame.subarray(0, s.prng.range(2, frame.length - 1))], end: true };
  },
  'truncated header': () => ({ frames: [Buffer.from([0x81])], end: true }),
  'length lies (short)': (s) => ({
    frames: [
      encodeFrame(text(JOIN, { declaredLength: BigInt(JOIN.length + s.prng.range(1, 4000)) })),
    ],
  }),
  'length 2^63': () => ({ frames: [encodeFrame(text(JOIN, { declaredLength: 2n ** 63n - 1n }))] }),
  'invalid utf-8': (s) => ({
    frames: [
      encodeFrame(
        text(Buffer.concat([Buffer.from('{"t":"'), s.prng.pick(INVALID_UTF8), Buffer.from('"}')])),
      ),
    ],
  }),
  unmasked: () => ({ frames: [encodeFrame(text(JOIN, { masked: false }))] }),
  'reserved opcode': (s) => ({
    frames: [encodeFrame({ opcode: s.prng.pick([0x3, 0x4, 0x7, 0xb, 0xf]), payload: JOIN })],
  }),
  'rsv bits': (s) => ({ frames: [encodeFrame(text(JOIN, { rsv: s.prng.range(1, 7) }))] }),
  'continuation first': () => ({
    frames: [encodeFrame({ opcode: OPCODES.continuation, payload: JOIN })],
  }),
  'text inside a fragmented message': () => ({
    frames: [encodeFrame(text(JOIN.subarray(0, 5), { fin: false })), encodeFrame(text(JOIN))],
  }),
  'fragments past the cap': (s) => {
    const part = Buffer.alloc(s.prng.range(1000, 8000), 0x20);
    const count = Math.ceil(CAP / part.length) + 2;
    return {
      frames: Array.from({ length: count }, (_, i) =>
        encodeFrame({
          opcode: i === 0 ? OPCODES.text : OPCODES.continuation,
          payload: part,
          fin: false,
        }),
      ),
    };
  },
  'ping too long': () => ({
    frames: [encodeFrame({ opcode: OPCODES.ping, payload: Buffer.alloc(126) })],
  }),
  'fragmented ping': () => ({
    frames: [encodeFrame({ opcode: OPCODES.ping, payload: Buffer.from('x'), fin: false })],
  }),
  'close with a bad code': (s) => {
    const payload = Buffer.alloc(2);
    payload.writeUInt16BE(s.prng.pick([0, 999, 1004, 1005, 1006, 1015, 2999, 5000]));
    return { frames: [encodeFrame({ opcode: OPCODES.close, payload })] };
  },
  'close with invalid utf-8 reason': () => ({
    frames: [
      encodeFrame({ opcode: OPCODES.close, payload: Buffer.from([0x03, 0xe8, 0xff, 0xfe]) }),
    ],
  }),
  'close with one byte': () => ({
    frames: [encodeFrame({ opcode: OPCODES.close, payload: Buffer.from([3]) })],
  }),
  // Valid framing the server must put together: a join in many fragments, pings in between.
  'fragmented join': (s) => {
    const parts = fragments(JOIN, s.prng.range(2, JOIN.length)).map((f) => encodeFrame(f));
    const ping = encodeFrame({ opcode: OPCODES.ping, payload: Buffer.from('p') });
    return { frames: parts.flatMap((f) => (s.prng.chance(0.3) ? [f, ping] : [f])) };
  },
  'pong unasked': () => ({
    frames: [
      encodeFrame({ opcode: OPCODES.pong, payload: Buffer.from('x') }),
      encodeFrame(text(JOIN)),
    ],
  }),
};

/** One raw case over a hand-made WebSocket; frames are counted as 'raw'. */
export async function raw(s: Session): Promise<void> {
  const name = s.prng.pick(Object.keys(RAW_CASES));
  const connection = await RawConnection.open(s.shared.origin, s.address());
  connection.write(upgradeRequest(s.shared.origin));
  const status = await connection.answered(UPGRADE_TIMEOUT_MS);
  if (status !== 101) {
    bump(s.tally.refused, status ?? 'timeout');
    await connection.finish(0);
    return;
  }
  const { frames, end } = RAW_CASES[name]!(s);
  for (const f of frames) {
    if (!s.live || !connection.open) break;
    connection.write(f);
    s.countRaw();
    // A few frames go one byte at a time: the server must wait for the rest of each.
    if (s.prng.chance(0.05)) await s.sleep(s.prng.int(30));
  }
  if (end) connection.end();
  const outcome = await connection.finish(RAW_WAIT_MS);
  bump(s.tally.closes, outcome.closeCode ?? 'none');
  const welcomed = outcome.texts.some((t) => t.includes('"welcome"'));
  s.note(`${name}: ${welcomed ? 'welcomed' : (outcome.closeCode ?? 'no close frame')}`);
}

/** Upgrade requests that are wrong: the server must answer them plainly and stay up. */
const UPGRADES: Record<string, (origin: string, s: Session) => string | Buffer> = {
  garbage: (_o, s) => s.prng.bytes(s.prng.range(1, 2000)),
  'no key': (o) => requestWith(o, { 'Sec-WebSocket-Key': undefined }),
  'bad key': (o) => requestWith(o, { 'Sec-WebSocket-Key': 'short' }),
  'version 8': (o) => requestWith(o, { 'Sec-WebSocket-Version': '8' }),
  'no upgrade header': (o) => requestWith(o, { Upgrade: undefined }),
  'wrong path': (o) => requestWith(o).replace('/peerconnect/signal', '/peerconnect/signal/x'),
  'path with query': (o) =>
    requestWith(o).replace('/peerconnect/signal', '/peerconnect/signal?a=1'),
  post: (o) => requestWith(o).replace(/^GET/, 'POST'),
  'no host': (o) => requestWith(o, { Host: undefined }),
  'odd host': (o, s) =>
    requestWith(o, { Host: s.prng.pick(['', '[::1', 'a b', 'x'.repeat(300), '127.0.0.1:99999']) }),
  'huge header': (o) => requestWith(o, { 'X-Pad': 'x'.repeat(HUGE_HEADER_BYTES) }),
  'null origin': (o) => requestWith(o, { Origin: 'null' }),
  'cross origin': (o) => requestWith(o, { Origin: 'https://evil.example' }),
  'no origin': (o) => requestWith(o, { Origin: undefined }),
  'forwarded for': (o, s) =>
    requestWith(o, { 'X-Forwarded-For': `10.0.${s.prng.int(256)}.${s.prng.int(256)}, 1.2.3.4` }),
  'half a request': (o) => requestWith(o).slice(0, 40),
};

const requestWith = upgradeRequest;

/** One broken upgrade; notes the status the server answered with. */
export async function handshake(s: Session): Promise<void> {
  const name = s.prng.pick(Object.keys(UPGRADES));
  const connection = await RawConnection.open(s.shared.origin, s.address());
  connection.write(UPGRADES[name]!(s.shared.origin, s));
  const status = await connection.answered(UPGRADE_TIMEOUT_MS);
  await connection.finish(0);
  s.note(`${name}: ${status ?? 'no answer'}`);
}
