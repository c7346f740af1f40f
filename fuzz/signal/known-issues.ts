/**
 * Server misbehaviour the fuzzer has found and signaling/ has not fixed yet. A violation that
 * matches one is reported under its name and does not fail the run; each has a reproduction in
 * known-issues.test.ts marked `it.fails`, which turns red once the server is fixed: then delete
 * the entry here and the `.fails` there, so the fuzzer guards the fix.
 */
export const KNOWN_ISSUES: readonly { readonly name: string; readonly matches: RegExp }[] = [
  {
    // The relay rewrites `"to":` as `"from":`, 2 bytes longer: a client frame at the cap
    // (32,767 or 32,768 bytes) is relayed over it, and the receiving agent drops it as malformed.
    name: 'relayed signal over the frame cap',
    matches:
      /invalid server message \(the signaling message is malformed: frame of (32769|32770) bytes\)/,
  },
];

export function knownIssueOf(violation: string): string | undefined {
  return KNOWN_ISSUES.find((issue) => issue.matches.test(violation))?.name;
}
