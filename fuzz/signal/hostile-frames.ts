import { SIGNALING_LIMITS, SIGNALING_PROTOCOL } from '../../protocol/index.js';
import {
  anyValid,
  contentId,
  contentIds,
  type Frame,
  type FrameKind,
  frame,
  peerId,
} from './frames.js';
import type { Prng } from './prng.js';

/**
 * Frames that break the grammar in one way each: what a broken or hostile client sends. Sizes
 * stay near the frame cap (SIGNALING_LIMITS.maxMessageBytes) except the few that are over it
 * on purpose; the largest is OVERSIZED_MAX_BYTES.
 */

const CAP = SIGNALING_LIMITS.maxMessageBytes;
/** Largest oversized frame: ws refuses it by its header, so the size costs the client only. */
const OVERSIZED_MAX_BYTES = 1024 * 1024;
const OVERSIZED_BYTES = [CAP - 1, CAP, CAP + 1, CAP + 2, 2 * CAP, 4 * CAP, OVERSIZED_MAX_BYTES];
/** Depths of nested arrays/objects, capped by what fits in one frame (DEEPEST_FIT). */
const NESTING_DEPTHS = [64, 1000, 5000, 10_000, 16_000];
const MAX_BINARY_BYTES = 4096;
/** Bytes of nesting that leave room for the message around it within the cap. */
const DEEPEST_FIT = CAP - 128;

export type HostileKind = Exclude<FrameKind, 'valid' | 'raw'>;

/** Where a hostile frame may point: a peer that exists, and the sender's own id. */
export interface Aim {
  readonly to: string;
  readonly from: string;
}

const MALFORMED_JSON = [
  '',
  ' ',
  '{',
  '}',
  '[',
  'null',
  'true',
  '0',
  '-0',
  '1e999',
  '"join"',
  '[]',
  '{}',
  '{"t":}',
  '{"t":"join",}',
  "{'t':'join','protocol':2}",
  '{"t":"join","protocol":2',
  '{"t":"join","protocol":2}}',
  '{"t":"join" "protocol":2}',
  '{"t":"join","protocol":NaN}',
  '{"t":"join","protocol":Infinity}',
  '{"t":"join","protocol":0x2}',
  '{"t":"join","protocol":02}',
  '{"t":"join","protocol":2} // comment',
  '/* c */{"t":"join","protocol":2}',
  '{"t":"join","protocol":2}\u0000',
  '\ufeff{"t":"join","protocol":2}',
  '{"t":"join"\u00a0,"protocol":2}',
  '{"t":"join","protocol":2,"t":"find"}',
  '{"t":"\\x41"}',
  '{"t":"\\u12"}',
  '{"t":"join","protocol":2}{"t":"join","protocol":2}',
  'undefined',
  '{"t":"join","protocol":-}',
];

const WEIRD_VALUES: readonly unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  -0,
  2 ** 32,
  2 ** 53 + 2,
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  '',
  '2',
  'x'.repeat(300),
  [],
  [null],
  {},
  { t: 'join' },
  '__proto__',
];
const TYPES = ['join', 'announce', 'withdraw', 'find', 'signal'];
const ODD_TYPES = ['JOIN', 'Join', ' join', 'join ', 'have', 'hello', 'welcome', 'found', 'error'];

/** A frame of one hostile kind, or of any when `kind` is not given. */
export function hostileFrame(prng: Prng, aim: Aim, kind?: HostileKind): Frame {
  switch (kind ?? pickHostileKind(prng)) {
    case 'malformed-json':
      return { kind: 'malformed-json', data: malformedJson(prng, aim) };
    case 'truncated':
      return truncated(prng, aim);
    case 'oversized':
      return oversized(prng, aim);
    case 'binary':
      return binary(prng, aim);
    case 'wrong-type':
      return frame('wrong-type', wrongType(prng, aim));
    case 'unicode':
      return { kind: 'unicode', data: unicode(prng, aim) };
    case 'deep-nesting':
      return { kind: 'deep-nesting', data: deepNesting(prng) };
  }
}

function pickHostileKind(prng: Prng): HostileKind {
  return prng.weighted<HostileKind>({
    'malformed-json': 20,
    truncated: 15,
    // Over the cap closes the socket: rarer, or sessions would rarely get past it.
    oversized: 2,
    binary: 8,
    'wrong-type': 35,
    unicode: 12,
    'deep-nesting': 4,
  });
}

function malformedJson(prng: Prng, aim: Aim): string {
  if (prng.chance(0.7)) return prng.pick(MALFORMED_JSON);
  // Random printable soup, and a valid frame with a stray structural character in front.
  if (prng.chance(0.5)) {
    return Array.from({ length: prng.range(1, 200) }, () =>
      String.fromCharCode(prng.range(0x20, 0x7e)),
    ).join('');
  }
  const text = String(anyValid(prng, aim.to, aim.from).data);
  return `{${prng.pick([',', ':', ']', '}', '"'])}${text.slice(1)}`;
}

function truncated(prng: Prng, aim: Aim): Frame {
  const whole = String(anyValid(prng, aim.to, aim.from).data);
  // Cut anywhere: mid-key, mid-escape, mid-number, or just the closing brace.
  const at = prng.chance(0.2) ? whole.length - 1 : prng.int(whole.length);
  return { kind: 'truncated', data: whole.slice(0, at) };
}

function oversized(prng: Prng, aim: Aim): Frame {
  const bytes = prng.pick(OVERSIZED_BYTES);
  switch (prng.int(4)) {
    case 0: {
      // A well-formed announce padded with whitespace to the size.
      const body = JSON.stringify({ t: 'announce', ids: contentIds(prng, 8) });
      return { kind: 'oversized', data: `${body.slice(0, -1).padEnd(bytes - 1, ' ')}}` };
    }
    case 1: {
      // Multi-byte characters: fewer UTF-16 units than bytes on the wire.
      const sdp = '€'.repeat(Math.ceil(bytes / 3));
      return frame('oversized', { t: 'signal', to: aim.to, data: { type: 'offer', sdp } });
    }
    case 2:
      return { kind: 'oversized', data: 'x'.repeat(bytes) };
    default:
      return frame('oversized', {
        t: 'signal',
        to: aim.to,
        data: { type: 'offer', sdp: 'a'.repeat(Math.max(0, bytes - 60)) },
      });
  }
}

function binary(prng: Prng, aim: Aim): Frame {
  if (prng.chance(0.3))
    return { kind: 'binary', data: Buffer.from(String(anyValid(prng, aim.to, aim.from).data)) };
  return {
    kind: 'binary',
    data: prng.bytes(prng.chance(0.1) ? 0 : prng.range(1, MAX_BINARY_BYTES)),
  };
}

/** A well-formed message with one field wrong: missing, of another type, out of range, extra. */
function wrongType(prng: Prng, aim: Aim): Record<string, unknown> {
  const message = JSON.parse(String(anyValid(prng, aim.to, aim.from).data)) as Record<
    string,
    unknown
  >;
  switch (prng.int(9)) {
    case 0:
      message.t = prng.pick([...ODD_TYPES, ...WEIRD_VALUES]);
      return message;
    case 1:
      delete message[prng.pick(Object.keys(message))];
      return message;
    case 2: {
      const key = prng.pick(Object.keys(message).filter((k) => k !== 't'));
      if (key) message[key] = prng.pick(WEIRD_VALUES);
      return message;
    }
    case 3:
      return {
        t: 'join',
        protocol: prng.pick([
          SIGNALING_PROTOCOL - 1,
          SIGNALING_PROTOCOL + 1,
          -1,
          2.5,
          2 ** 32,
          '2',
        ]),
      };
    case 4:
      return wrongIds(prng);
    case 5:
      return wrongFind(prng);
    case 6:
      return wrongSignal(prng, aim);
    case 7:
      // Keys that reach for the prototype, and fields the schema does not know.
      return JSON.parse(
        `{"t":"${prng.pick(TYPES)}","__proto__":{"polluted":1},"constructor":{"prototype":{}},"from":"${aim.to}",` +
          `"protocol":${SIGNALING_PROTOCOL},"ids":["${contentId(prng)}"],"extra":${JSON.stringify(prng.pick(WEIRD_VALUES))}}`,
      ) as Record<string, unknown>;
    default:
      return Object.fromEntries(
        Array.from({ length: prng.range(1, 8) }, () => [
          prng.pick(['t', 'id', 'to', 'ids', 'data', 'x']),
          prng.pick(WEIRD_VALUES),
        ]),
      );
  }
}

function wrongIds(prng: Prng): Record<string, unknown> {
  const t = prng.pick(['announce', 'withdraw']);
  const bad = [
    [],
    contentIds(prng, SIGNALING_LIMITS.maxIdsPerMessage + 1),
    [contentId(prng).toUpperCase()],
    [contentId(prng).slice(1)],
    [`${contentId(prng)}0`],
    [contentId(prng), 7],
    [contentId(prng), null],
    'deadbeefdeadbeef',
    { 0: contentId(prng) },
    [contentId(prng).replace(/./, 'g')],
  ];
  return { t, ids: prng.pick(bad) };
}

function wrongFind(prng: Prng): Record<string, unknown> {
  const base = { t: 'find', id: prng.uint32(), content: contentId(prng) };
  switch (prng.int(4)) {
    case 0:
      return { ...base, id: prng.pick([-1, 1.5, 2 ** 32, '1', null]) };
    case 1:
      return { ...base, max: prng.pick([0, 9, -1, 1.5, '8', 1e9]) };
    case 2:
      return {
        ...base,
        content: prng.pick(['', contentId(prng).toUpperCase(), 'x'.repeat(64), 12]),
      };
    default:
      return { ...base, content: [contentId(prng)] };
  }
}

function wrongSignal(prng: Prng, aim: Aim): Record<string, unknown> {
  const to = prng.pick([aim.to, aim.from, peerId(prng)]);
  switch (prng.int(6)) {
    case 0:
      return {
        t: 'signal',
        to: prng.pick(['', 'x'.repeat(15), 'x'.repeat(17), 'a+b/c=d.e!f?g*h#', 16]),
        data: { type: 'offer', sdp: 'v=0' },
      };
    case 1:
      return {
        t: 'signal',
        to,
        data: { type: prng.pick(['OFFER', 'pranswer', 'rollback', '', 3]), sdp: 'v=0' },
      };
    case 2:
      return {
        t: 'signal',
        to,
        data: { type: 'offer', sdp: prng.pick([null, 5, ['v=0'], { sdp: 'v=0' }]) },
      };
    case 3:
      return {
        t: 'signal',
        to,
        data: {
          type: 'candidate',
          candidate: {
            candidate: 'c'.repeat(prng.pick([1024, 1025, 4000])),
            sdpMid: 'm'.repeat(prng.pick([64, 65])),
            sdpMLineIndex: prng.pick([0, 64, 65, -1, 1.5]),
            usernameFragment: 'u'.repeat(prng.pick([256, 257])),
          },
        },
      };
    case 4:
      return { t: 'signal', to, data: prng.pick([null, 'offer', [], { type: 'candidate' }]) };
    default:
      return {
        t: 'signal',
        to,
        data: { type: 'candidate', candidate: prng.pick(['', 0, [], { candidate: 1 }]) },
      };
  }
}

const UNICODE_PIECES = [
  '\\ud800',
  '\\udfff',
  '\\ud83d\\ude00',
  '\\u0000',
  '\\u202e',
  '\\u200b',
  '\\ufeff',
  '\\uffff',
  'é',
  'é',
  '😀',
  '𝟚',
  'ｊｏｉｎ',
  '\\u0130',
];

/** JSON text whose strings carry lone surrogates, NULs, bidi controls, look-alikes. */
function unicode(prng: Prng, aim: Aim): string {
  const piece = () => prng.pick(UNICODE_PIECES);
  switch (prng.int(6)) {
    case 0:
      return `{"t":"j${piece()}oin","protocol":${SIGNALING_PROTOCOL}}`;
    case 1:
      return `{"t":"announce","ids":["${contentId(prng).slice(0, 15)}${piece()}"]}`;
    case 2:
      return `{"t":"find","id":1,"content":"${piece()}${contentId(prng).slice(1)}"}`;
    case 3:
      return `{"t":"signal","to":"${aim.to.slice(0, 15)}${piece()}","data":{"type":"offer","sdp":"v=0"}}`;
    case 4:
      // Valid shape, hostile sdp: the server relays it as it is.
      return `{"t":"signal","to":"${aim.to}","data":{"type":"offer","sdp":"${Array.from({ length: 64 }, piece).join('')}"}}`;
    default:
      return `{"${piece()}t":"join","protocol":${SIGNALING_PROTOCOL}}`;
  }
}

function deepNesting(prng: Prng): string {
  const [open, close] = prng.chance(0.5) ? ['[', ']'] : ['{"a":', '}'];
  const depth = Math.min(prng.pick(NESTING_DEPTHS), Math.floor(DEEPEST_FIT / (open.length + 1)));
  const nested = `${open.repeat(depth)}1${close.repeat(depth)}`;
  switch (prng.int(4)) {
    case 0:
      return nested;
    case 1:
      return `{"t":"join","protocol":${nested}}`;
    case 2:
      return `{"t":"signal","to":"${'A'.repeat(16)}","data":${nested}}`;
    default:
      // Unknown fields are not read by the schema, but JSON.parse still builds them.
      return `{"t":"find","id":1,"content":"${'0'.repeat(16)}","x":${nested}}`;
  }
}
