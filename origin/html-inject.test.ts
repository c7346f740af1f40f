import { describe, expect, it } from 'vitest';
import { AGENT_SCRIPT_TAG, injectAgentScript } from './html-inject.js';

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
});
