import { describe, expect, it } from 'vitest';
import { readPageCsp } from './page-csp.js';

const meta = (policy: string) => `<meta http-equiv="Content-Security-Policy" content="${policy}">`;

describe('readPageCsp', () => {
  it('allows everything and has no nonce without a policy', () => {
    expect(readPageCsp('<head><title>x</title>')).toEqual({
      nonce: undefined,
      allowsPeerConnect: true,
    });
  });

  it("takes the policy's nonce, else one of the page's own scripts'", () => {
    const strict = meta("script-src 'self' 'nonce-AbC+/9=='; connect-src 'self'");
    expect(readPageCsp(`<head>${strict}<script nonce="other">`)).toEqual({
      nonce: 'AbC+/9==',
      allowsPeerConnect: true,
    });
    expect(readPageCsp("<head><script src=a.js nonce='r4nd0m'></script>").nonce).toBe('r4nd0m');
    expect(readPageCsp('<head><script\nnonce=bare>').nonce).toBe('bare');
  });

  it('never takes a nonce that could break out of an attribute', () => {
    expect(readPageCsp(`<script nonce='a"><img src=x onerror=alert(1)>'>`).nonce).toBeUndefined();
    expect(readPageCsp(meta("script-src 'nonce-a\"b'")).nonce).toBeUndefined();
  });

  it.each([
    ["script-src 'self' 'nonce-n1'; connect-src 'self'", true],
    ["script-src 'nonce-n1'; worker-src 'self'", true],
    ["script-src 'nonce-n1' 'strict-dynamic'; worker-src 'self'", true],
    ["default-src 'self'", true],
    ["default-src *; img-src 'none'", true],
    ["SCRIPT-SRC 'SELF'", true],
    ["script-src 'none'", false],
    ["script-src 'self' 'strict-dynamic'", false],
    ["script-src 'sha256-abc='; worker-src 'self'", false],
    ["worker-src 'none'", false],
    ["child-src 'none'", false],
    ["script-src 'nonce-n1'", false], // the worker falls back to script-src: a nonce is no worker source
    ["connect-src 'none'", false],
    ["default-src 'none'; script-src 'self'", false],
    ['connect-src https://api.example', false],
  ])('%s → %s', (policy, allowed) => {
    const page = `<head>${meta(policy)}<script nonce="n1">`;
    expect(readPageCsp(page).allowsPeerConnect).toBe(allowed);
  });

  it('enforces every meta policy, and ignores other meta tags', () => {
    const both = `${meta("default-src 'self'")}<meta content="worker-src 'none'" http-equiv=content-security-policy>`;
    expect(readPageCsp(both).allowsPeerConnect).toBe(false);
    const others = '<meta name="description" content="worker-src \'none\'"><meta charset=utf-8>';
    expect(readPageCsp(others).allowsPeerConnect).toBe(true);
  });
});
