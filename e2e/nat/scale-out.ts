import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BedProcess, Netbed, PortForward } from '../../testing/netbed/index.js';
import { originAssetBytes } from '../server-process.js';
import type { BedServer } from './bed-server.js';

/**
 * Scale-out in the test bed: Debian's redis-server and nginx inside the public namespace, in
 * front of several `peerconnect serve --redis` nodes. nginx's config is generated (nginxConfig,
 * the README's snippet) into a temp directory of the bed.
 */

const START_TIMEOUT_MS = 15_000;

export async function startBedRedis(bed: Netbed, host: string, port: number): Promise<BedProcess> {
  const child = bed.spawn(bed.publicNs, 'redis-server', [
    '--bind',
    host,
    '--port',
    String(port),
    '--save',
    '',
    '--appendonly',
    'no',
    // Visitors never reach it (the bed's public side), and nodes connect from a bed address.
    '--protected-mode',
    'no',
  ]);
  try {
    await child.waitForOutput(/Ready to accept connections/, START_TIMEOUT_MS);
  } catch (err) {
    await child.stop();
    throw err;
  }
  return child;
}

export interface NginxPlan {
  /** Where nginx listens, e.g. 198.18.0.1:8200. */
  listen: { host: string; port: number };
  /** The nodes, `host:port` each. */
  nodes: readonly string[];
  /**
   * Which node a client address goes to (index into `nodes`); others go to the last node. The
   * test pins visitors so that A and B land on different nodes; in production a
   * `hash $remote_addr consistent;` upstream (or any balancing) does, with no sticky sessions.
   */
  pinned: ReadonlyMap<string, number>;
}

/** nginx in front of N signaling/origin nodes, WebSocket upgrade included. */
export function nginxConfig(plan: NginxPlan, dir: string): string {
  const upstreams = plan.nodes
    .map((node, i) => `  upstream peerconnect_${i} { server ${node}; }`)
    .join('\n');
  const last = plan.nodes.length - 1;
  const pins = [...plan.pinned].map(([ip, i]) => `    ${ip} peerconnect_${i};`).join('\n');
  return `worker_processes 1;
daemon off;
user root;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
${upstreams}
  map $remote_addr $peerconnect_node {
    default peerconnect_${last};
${pins}
  }
  map $http_upgrade $connection_upgrade {
    default upgrade;
    '' close;
  }
  server {
    listen ${plan.listen.host}:${plan.listen.port};
    location / {
      proxy_pass http://$peerconnect_node;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_buffering off;
      proxy_read_timeout 1h;
    }
  }
}
`;
}

/**
 * nginx per `plan`, seen by the tests as one BedServer: visitors open its public URL; its
 * origin bytes are the nodes' together.
 */
export async function startBedNginx(
  bed: Netbed,
  plan: NginxPlan,
  nodes: readonly BedServer[],
): Promise<BedServer> {
  const dir = join(bed.dir, `nginx-${plan.listen.port}`);
  await mkdir(dir, { recursive: true });
  const config = join(dir, 'nginx.conf');
  await writeFile(config, nginxConfig(plan, dir));
  const child = bed.spawn(bed.publicNs, '/usr/sbin/nginx', ['-c', config, '-p', dir]);
  const { host, port } = plan.listen;
  let forward: PortForward;
  try {
    forward = await waitForForward(bed, host, port, child);
  } catch (err) {
    await child.stop();
    throw err;
  }
  const server: BedServer = {
    url: forward.url,
    publicUrl: `http://${host}:${port}`,
    host,
    port,
    siteDir: nodes[0]?.siteDir ?? '',
    process: child.child,
    log: () => child.log(),
    stop: async () => {
      await child.stop();
      await forward.close();
    },
    originAssetBytes: async () => {
      const each = await Promise.all(nodes.map((node) => originAssetBytes(node)));
      return each.reduce((sum, bytes) => sum + bytes, 0);
    },
  };
  return server;
}

/** nginx prints nothing when it is up: poll its port through a forward until it answers. */
async function waitForForward(
  bed: Netbed,
  host: string,
  port: number,
  child: BedProcess,
): Promise<PortForward> {
  const forward = await bed.forward(host, port);
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exited()) throw new Error(`nginx exited: ${child.log()}`);
    const ok = await fetch(`${forward.url}/peerconnect/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return forward;
    if (Date.now() > deadline) {
      await forward.close();
      throw new Error(`nginx did not answer in ${START_TIMEOUT_MS} ms: ${child.log()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
