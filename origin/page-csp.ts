/**
 * The Content-Security-Policy a page sets for itself with `<meta http-equiv>` (a header the
 * server never adds), read just far enough to answer two questions: which nonce the agent's
 * tag must carry, and whether the policy lets PeerConnect run at all (its script, a same-origin
 * WebSocket and fetches, a same-origin service worker). A policy that forbids any of them makes
 * the server step aside: the page is served exactly as written, without agent or bootstrap.
 */

const META_TAG = /<meta\b[^>]*>/gi;
const SCRIPT_TAG = /<script\b[^>]*>/gi;
/** One attribute of a start tag: name, then a double-, single- or unquoted value. */
const ATTRIBUTE = /([^\s=/>]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g;
/** A nonce as CSP defines it (base64 or base64url); anything else is never copied into HTML. */
const NONCE = /^[A-Za-z0-9+/_-]+={0,2}$/;
const NONCE_SOURCE = /^'nonce-(.+)'$/i;
const TAG_NAME = /^<[a-z]+/i;
const TAG_END = /\/?>$/;
const CSP_HTTP_EQUIV = 'content-security-policy';

type Policy = ReadonlyMap<string, readonly string[]>;

/** Where each directive PeerConnect needs falls back to when the policy does not name it. */
const FALLBACKS = {
  script: ['script-src-elem', 'script-src', 'default-src'],
  connect: ['connect-src', 'default-src'],
  worker: ['worker-src', 'child-src', 'script-src', 'default-src'],
} as const;

/** What a page's own CSP means for PeerConnect. */
export interface PageCsp {
  /** The nonce for the agent's tag: the policy's, else one of the page's own scripts. */
  readonly nonce: string | undefined;
  /** Whether the agent may load, signal, fetch and register its worker under the policy. */
  readonly allowsPeerConnect: boolean;
}

function attributesOf(tag: string): Map<string, string> {
  const attributes = new Map<string, string>();
  const inner = tag.replace(TAG_NAME, '').replace(TAG_END, '');
  for (const match of inner.matchAll(ATTRIBUTE)) {
    const name = match[1]?.toLowerCase();
    if (name && !attributes.has(name)) attributes.set(name, match[2] ?? match[3] ?? match[4] ?? '');
  }
  return attributes;
}

function parsePolicy(text: string): Policy {
  const policy = new Map<string, string[]>();
  for (const directive of text.split(';')) {
    const [name, ...sources] = directive.trim().split(/\s+/);
    // The first of two same-named directives wins, as in browsers.
    if (!name || policy.has(name.toLowerCase())) continue;
    // Keywords and schemes are case-insensitive; a nonce is not.
    policy.set(
      name.toLowerCase(),
      sources.map((source) => (NONCE_SOURCE.test(source) ? source : source.toLowerCase())),
    );
  }
  return policy;
}

function sourcesFor(policy: Policy, kind: keyof typeof FALLBACKS): readonly string[] | undefined {
  for (const name of FALLBACKS[kind]) {
    const sources = policy.get(name);
    if (sources) return sources;
  }
  return undefined;
}

/** Whether a same-origin URL is allowed by a source list ('self' covers ws/wss in CSP 3). */
function allowsSameOrigin(sources: readonly string[] | undefined): boolean {
  return sources === undefined || sources.includes("'self'") || sources.includes('*');
}

function allowsAgentScript(sources: readonly string[] | undefined, nonce: string | undefined) {
  if (sources === undefined) return true;
  if (nonce !== undefined && sources.some((s) => NONCE_SOURCE.exec(s)?.[1] === nonce)) return true;
  // With 'strict-dynamic', 'self' and hosts are ignored: only a nonce (or hash) loads a script.
  return !sources.includes("'strict-dynamic'") && allowsSameOrigin(sources);
}

function policyNonce(policy: Policy): string | undefined {
  for (const source of sourcesFor(policy, 'script') ?? []) {
    const nonce = NONCE_SOURCE.exec(source)?.[1];
    if (nonce && NONCE.test(nonce)) return nonce;
  }
  return undefined;
}

function scriptNonce(text: string): string | undefined {
  for (const [tag] of text.matchAll(SCRIPT_TAG)) {
    const nonce = attributesOf(tag).get('nonce');
    if (nonce && NONCE.test(nonce)) return nonce;
  }
  return undefined;
}

/** Reads the page's meta CSPs (every one is enforced) and its nonce. */
export function readPageCsp(text: string): PageCsp {
  const policies: Policy[] = [];
  for (const [tag] of text.matchAll(META_TAG)) {
    const attributes = attributesOf(tag);
    const content = attributes.get('content');
    if (attributes.get('http-equiv')?.trim().toLowerCase() === CSP_HTTP_EQUIV && content)
      policies.push(parsePolicy(content));
  }
  const nonce = policies.map(policyNonce).find((n) => n !== undefined) ?? scriptNonce(text);
  const allowsPeerConnect = policies.every(
    (policy) =>
      allowsAgentScript(sourcesFor(policy, 'script'), nonce) &&
      allowsSameOrigin(sourcesFor(policy, 'connect')) &&
      allowsSameOrigin(sourcesFor(policy, 'worker')),
  );
  return { nonce, allowsPeerConnect };
}
