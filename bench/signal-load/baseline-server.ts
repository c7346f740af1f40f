import { randomBytes } from 'node:crypto';
import { type WebSocket, WebSocketServer } from 'ws';

/**
 * BASELINE, not PeerConnect: the least a relay can be, for the bench to compare against. A raw
 * `ws` server that speaks just enough of the v2 wire for the bench's peers (welcome with an id,
 * one quorum, announce into a map, find, relay by id) with no validation, limits, metrics,
 * heartbeats or cleanup of announcements: a floor for memory per connection and relay latency.
 */

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
const members = new Map<string, WebSocket>();
const holders = new Map<string, string[]>();

wss.on('connection', (ws) => {
  const peerId = randomBytes(12).toString('base64url');
  ws.on('message', (data) => {
    const m = JSON.parse(data.toString());
    if (m.t === 'join') {
      members.set(peerId, ws);
      ws.send(JSON.stringify({ t: 'welcome', peerId, peers: members.size - 1, minSwarm: 1 }));
      if (members.size === 2) {
        for (const [id, other] of members) {
          if (id !== peerId) other.send(JSON.stringify({ t: 'quorum', reached: true }));
        }
      }
    } else if (m.t === 'announce') {
      for (const id of m.ids) holders.set(id, [...(holders.get(id) ?? []), peerId].slice(-8));
    } else if (m.t === 'find') {
      const peers = (holders.get(m.content) ?? []).filter((id) => id !== peerId);
      ws.send(JSON.stringify({ t: 'found', id: m.id, content: m.content, peers }));
    } else if (m.t === 'signal') {
      members.get(m.to)?.send(JSON.stringify({ t: 'signal', from: peerId, data: m.data }));
    }
  });
  ws.on('close', () => members.delete(peerId));
});

wss.on('listening', () => {
  const { port } = wss.address() as { port: number };
  console.log(`baseline: raw ws relay at http://127.0.0.1:${port}`);
});
process.on('SIGTERM', () => process.exit(0));
