import { type DashboardData, MINUTE_MS, offloadRatio, PATHS } from '../protocol/index.js';
import { bytesChart, COLORS, peersChart } from './charts.js';
import { h } from './dom.js';
import { formatBytes, formatCount, formatMs, formatRatio } from './format.js';

const MS_PER_SECOND = 1000;

export type Status = 'live' | 'stale' | 'offline' | 'unauthorized';

export interface DashboardView {
  /** Shows `data`, its series cut to the last `rangeMinutes`. */
  update(data: DashboardData, rangeMinutes: number): void;
  setStatus(status: Status, text: string): void;
}

/** A figure card; `data-value` carries the raw number (tests and scripts read it). */
function card(key: string, title: string, note: string, accent?: string) {
  const value = h('p', { class: 'value', 'data-value': '' }, '–');
  const detail = h('p', { class: 'note' }, note);
  const element = h(
    'section',
    { class: 'card', 'data-card': key },
    h('h2', {}, title),
    value,
    detail,
  );
  if (accent) element.style.setProperty('--accent', accent);
  return {
    element,
    set(text: string, raw: number | null, noteText = note) {
      value.textContent = text;
      value.dataset.value = raw === null ? '' : String(raw);
      detail.textContent = noteText;
    },
  };
}

/** Asset paths are percent-encoded as the manifest lists them; shown as a person reads them. */
function readablePath(path: string): string {
  try {
    return decodeURI(path);
  } catch {
    return path;
  }
}

function panel(title: string, subtitle: string, body: HTMLElement): HTMLElement {
  return h(
    'section',
    { class: 'panel' },
    h('header', {}, h('h2', {}, title), h('p', { class: 'note' }, subtitle)),
    body,
  );
}

/** The whole page: header, figure cards, the two charts and the top assets. */
export function createView(root: HTMLElement, onRange: (minutes: number) => void): DashboardView {
  const status = h('span', { class: 'status', 'data-status': 'stale' }, 'connecting…');
  const ranges = h('div', { class: 'ranges', role: 'group', 'aria-label': 'Time range' });
  for (const [label, minutes] of [
    ['1 h', 60],
    ['6 h', 360],
    ['24 h', 1440],
  ] as const) {
    const button = h('button', { type: 'button', 'data-minutes': String(minutes) }, label);
    button.addEventListener('click', () => {
      for (const b of ranges.querySelectorAll('button')) b.removeAttribute('aria-pressed');
      button.setAttribute('aria-pressed', 'true');
      onRange(minutes);
    });
    ranges.append(button);
  }
  ranges.querySelector('button')?.setAttribute('aria-pressed', 'true');

  const cards = {
    offload: card('offload', 'Offload ratio', 'of asset bytes came from peers', COLORS.peer),
    saved: card(
      'saved',
      'Origin bytes saved',
      'sent by visitors instead of the origin',
      COLORS.peer,
    ),
    peers: card('peers', 'Peers online', 'in the swarm now', COLORS.peers),
    originServed: card('origin', 'Origin asset traffic', 'sent by this server', COLORS.origin),
  };
  const small = {
    fromOrigin: card('from-origin', 'From origin', 'as visitors report'),
    fromCache: card('from-cache', 'From cache', 'visitors’ own store'),
    uploaded: card('uploaded', 'Uploaded', 'visitor to visitor'),
    ttfbPeer: card('ttfb-peer', 'First byte, peer', 'mean'),
    ttfbOrigin: card('ttfb-origin', 'First byte, origin', 'mean'),
    beacons: card('beacons', 'Reports', 'page beacons'),
  };
  const bytesBox = h('div', { class: 'chart' });
  const peersBox = h('div', { class: 'chart' });
  const topBody = h('tbody');
  const topTable = h(
    'table',
    { class: 'top' },
    h(
      'thead',
      {},
      h('tr', {}, h('th', {}, 'Asset'), h('th', {}, 'From peers'), h('th', {}, 'Peer share')),
    ),
    topBody,
  );
  root.replaceChildren(
    h(
      'header',
      { class: 'top-bar' },
      h(
        'div',
        { class: 'brand' },
        h('span', { class: 'mark', 'aria-hidden': 'true' }),
        h('h1', {}, 'PeerConnect'),
        h('span', { class: 'site' }, location.host),
      ),
      h('div', { class: 'controls' }, ranges, status),
    ),
    h('div', { class: 'cards' }, ...Object.values(cards).map((c) => c.element)),
    h('div', { class: 'cards small' }, ...Object.values(small).map((c) => c.element)),
    h(
      'div',
      { class: 'panels' },
      panel(
        'Bytes by source',
        'per minute, as visitors report; dashed: what the origin sent',
        bytesBox,
      ),
      panel('Peers online', 'open signaling connections', peersBox),
      panel('Top assets by peer traffic', 'last 24 hours', topTable),
    ),
    h(
      'footer',
      {},
      'Aggregates only: no visitor is identified. Prometheus: ',
      h('a', { href: PATHS.metrics }, PATHS.metrics),
    ),
  );
  const bytes = bytesChart(bytesBox);
  const peers = peersChart(peersBox);

  return {
    update(data, rangeMinutes) {
      const { totals } = data;
      const ratio = offloadRatio(totals.peer, totals.origin);
      cards.offload.set(formatRatio(ratio), ratio);
      cards.saved.set(formatBytes(totals.peer), totals.peer);
      const swarms = data.live.swarms;
      cards.peers.set(
        formatCount(data.live.peersOnline),
        data.live.peersOnline,
        `in ${formatCount(swarms)} swarm${swarms === 1 ? '' : 's'} now`,
      );
      const served = offloadRatio(totals.peer, totals.originServed);
      cards.originServed.set(
        formatBytes(totals.originServed),
        totals.originServed,
        served === null
          ? 'sent by this server'
          : `sent by this server · ${formatRatio(served)} offloaded`,
      );
      small.fromOrigin.set(formatBytes(totals.origin), totals.origin);
      small.fromCache.set(formatBytes(totals.cache), totals.cache);
      small.uploaded.set(formatBytes(totals.uploaded), totals.uploaded);
      small.ttfbPeer.set(formatMs(data.ttfbMs.peer), data.ttfbMs.peer);
      small.ttfbOrigin.set(formatMs(data.ttfbMs.origin), data.ttfbMs.origin);
      small.beacons.set(
        formatCount(totals.beacons),
        totals.beacons,
        `${formatCount(totals.dialFailures)} failed peer dials`,
      );

      const m = data.minutes;
      const skip = Math.max(m.peer.length - rangeMinutes, 0);
      const cut = <T>(series: T[]) => series.slice(skip);
      const x = cut(m.peer).map((_, i) => (data.start + (skip + i) * MINUTE_MS) / MS_PER_SECOND);
      const to = data.now / MS_PER_SECOND;
      const span = { from: to - (rangeMinutes * MINUTE_MS) / MS_PER_SECOND, to };
      bytes.setData(span, x, [cut(m.peer), cut(m.origin), cut(m.cache), cut(m.originServed)]);
      peers.setData(span, x, [cut(m.peersOnline)]);

      const most = data.topAssets[0]?.peer ?? 0;
      topBody.replaceChildren(
        ...(data.topAssets.length === 0
          ? [
              h(
                'tr',
                {},
                h('td', { colspan: '3', class: 'empty' }, 'No asset has come from a peer yet.'),
              ),
            ]
          : data.topAssets.map((asset) => {
              const share = offloadRatio(asset.peer, asset.origin);
              const bar = h('span', { class: 'bar' });
              bar.style.width = `${most ? (asset.peer / most) * 100 : 0}%`;
              return h(
                'tr',
                {},
                h('td', { class: 'path', title: asset.path }, readablePath(asset.path)),
                h(
                  'td',
                  { class: 'num', 'data-value': String(asset.peer) },
                  bar,
                  formatBytes(asset.peer),
                ),
                h('td', { class: 'num' }, formatRatio(share)),
              );
            })),
      );
    },
    setStatus(state, text) {
      status.dataset.status = state;
      status.textContent = text;
    },
  };
}
