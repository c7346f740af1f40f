import { describe, expect, it } from 'vitest';
import { metricSum } from './prometheus-text.js';

const TEXT = [
  '# HELP peerconnect_origin_bytes_total Bytes sent.',
  '# TYPE peerconnect_origin_bytes_total counter',
  'peerconnect_origin_bytes_total{kind="asset"} 120',
  'peerconnect_origin_bytes_total{kind="other",route="a\\"b"} 5',
  '# TYPE peerconnect_signal_connections gauge',
  'peerconnect_signal_connections 3',
  '# TYPE peerconnect_unused counter',
].join('\n');

describe('metricSum', () => {
  it('sums the samples whose labels match', () => {
    expect(metricSum(TEXT, 'peerconnect_origin_bytes_total', { kind: 'asset' })).toBe(120);
    expect(metricSum(TEXT, 'peerconnect_origin_bytes_total')).toBe(125);
    expect(metricSum(TEXT, 'peerconnect_origin_bytes_total', { route: 'a\\"b' })).toBe(5);
    expect(metricSum(TEXT, 'peerconnect_signal_connections')).toBe(3);
  });

  it('reads a declared metric without samples as 0 and an undeclared one as an error', () => {
    expect(metricSum(TEXT, 'peerconnect_unused_total')).toBe(0);
    expect(() => metricSum(TEXT, 'peerconnect_renamed')).toThrow(/not in the exposition/);
  });
});
