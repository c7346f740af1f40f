import { readFile } from 'node:fs/promises';
import { RedisServer } from '../../testing/index.js';
import { LOAD_LIMITS } from './constants.js';
import { type ServerChild, startPeerConnect } from './server-child.js';

/**
 * `--redis`: one redis-server and REDIS_NODES `peerconnect serve --signal-only --redis` nodes,
 * seen by the load run as one server: its RSS, CPU and fd room are the nodes' together (Redis's
 * own are left out and reported apart), its clients spread over the nodes, and every client
 * sends SHARED_ORIGIN so that all of them are in one swarm across the nodes.
 */

export const REDIS_NODES = 3;
/** An allowed origin of every node: the swarm the bench's clients share. */
const SHARED_ORIGIN = 'http://bench.peerconnect.example';

export interface RedisGroup extends ServerChild {
  redisRss(): Promise<number>;
}

async function pidRss(pid: number): Promise<number> {
  const text = await readFile(`/proc/${pid}/status`, 'utf8');
  const line = text.split('\n').find((l) => l.startsWith('VmRSS:')) ?? '';
  return Number.parseInt(line.slice('VmRSS:'.length), 10) * 1024;
}

export async function startRedisGroup(): Promise<RedisGroup> {
  const redis = await RedisServer.start();
  const started: ServerChild[] = [];
  try {
    for (let i = 0; i < REDIS_NODES; i++) {
      started.push(
        await startPeerConnect(['--redis', redis.url, '--allowed-origins', SHARED_ORIGIN]),
      );
    }
  } catch (err) {
    await Promise.all(started.map((node) => node.stop()));
    await redis.stop();
    throw err;
  }
  const sum = async (read: (node: ServerChild) => Promise<number>) =>
    (await Promise.all(started.map(read))).reduce((a, b) => a + b, 0);
  const first = started[0] as ServerChild;
  return {
    url: first.url,
    nodes: started.map((node) => node.url),
    origin: SHARED_ORIGIN,
    pid: first.pid,
    startedAt: Math.min(...started.map((node) => node.startedAt)),
    rss: () => sum((node) => node.rss()),
    // Room for sockets over the nodes: each keeps LOAD_LIMITS.fdReserve, the run takes one off.
    fdLimit: async () =>
      (await sum((node) => node.fdLimit())) - (REDIS_NODES - 1) * LOAD_LIMITS.fdReserve,
    cpuMs: () => sum((node) => node.cpuMs()),
    log: () => started.map((node) => node.log()).join('\n'),
    redisRss: () => (redis.pid === undefined ? Promise.resolve(0) : pidRss(redis.pid)),
    stop: async () => {
      await Promise.all(started.map((node) => node.stop()));
      await redis.stop();
    },
  };
}
