import { describe, expect, it } from 'vitest';
import { AGENT_SCRIPT_TAG, agentScriptTag, injectAgentScript } from './html-inject.js';

const TAG = AGENT_SCRIPT_TAG;
const inject = (html: string) => injectAgentScript(Buffer.from(html, 'latin1')).toString('latin1');

describe('injectAgentScript', () => {
  it('is the agent script, async so that pending stylesheets never hold it back', () => {
    expect(TAG).toBe('<script src="/peerconnect/agent.js" async></script>');
  });

  it.each([
    [
      '<!doctype html><html><head><title>x</title>',
      `<!doctype html><html><head>${TAG}<title>x</title>`,
    ],
    ['<HTML><HEAD lang="en">', `<HTML><HEAD lang="en">${TAG}`],
    ['<head\n  data-x="1">', `<head\n  data-x="1">${TAG}`],
    // <header> is not <head>.
    ['<!doctype html><header>h</header>', `<!doctype html>${TAG}<header>h</header>`],
    [
      '<!DOCTYPE html>\n<html lang="en">\n<body>',
      `<!DOCTYPE html>\n<html lang="en">${TAG}\n<body>`,
    ],
    ['<!-- c --><!doctype html><p>x', `<!-- c --><!doctype html>${TAG}<p>x`],
    ['<p>fragment</p>', `${TAG}<p>fragment</p>`],
    ['', TAG],
    ['\xEF\xBB\xBF<p>bom', `\xEF\xBB\xBF${TAG}<p>bom`],
    // "<head>" in a comment or a script string is not the tag.
    ['<!-- <head> --><html><head>', `<!-- <head> --><html><head>${TAG}`],
    ['<html>\n<!-- x -->\n<head>', `<html>\n<!-- x -->\n<head>${TAG}`],
    [
      '<!doctype html><script>document.write("<head>")</script><head>',
      `<!doctype html>${TAG}<script>document.write("<head>")</script><head>`,
    ],
    [
      '<body><p>no head</p><pre>&lt;head&gt; <head></pre>',
      `${TAG}<body><p>no head</p><pre>&lt;head&gt; <head></pre>`,
    ],
  ])('%j', (html, expected) => {
    expect(inject(html)).toBe(expected);
  });

  it('leaves a page that already loads the agent alone', () => {
    const html = '<head><script src="/peerconnect/agent.js"></script>';
    expect(inject(html)).toBe(html);
  });

  it('keeps the other bytes exactly, whatever the encoding', () => {
    const latin1 = Buffer.from([...Buffer.from('<head>'), 0xe9, 0xff, 0x00]);
    const out = injectAgentScript(latin1);
    expect(out.subarray(out.length - 3)).toEqual(Buffer.from([0xe9, 0xff, 0x00]));
    const utf8 = Buffer.from('<head><title>été – 東京</title>');
    expect(injectAgentScript(utf8).toString()).toBe(`<head>${TAG}<title>été – 東京</title>`);
  });

  it('does not touch UTF-16 pages', () => {
    const utf16 = Buffer.from('\uFEFF<head>', 'utf16le');
    expect(injectAgentScript(utf16)).toBe(utf16);
  });

  it("carries the page's CSP nonce", () => {
    const page =
      `<head><meta http-equiv="Content-Security-Policy" content="script-src 'self' 'nonce-n0Nc3'">` +
      '<script nonce="n0Nc3">x()</script>';
    expect(inject(page)).toBe(`<head>${agentScriptTag('n0Nc3')}${page.slice(6)}`);
    expect(agentScriptTag('n0Nc3')).toBe(
      '<script src="/peerconnect/agent.js" nonce="n0Nc3" async></script>',
    );
  });

  it('steps aside for a page whose CSP forbids PeerConnect', () => {
    const page = `<head><meta http-equiv="Content-Security-Policy" content="worker-src 'none'">`;
    expect(inject(page)).toBe(page);
  });
});
