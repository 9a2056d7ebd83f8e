import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, REDIS_SERVER, redisMissing } from './redis-server.js';

const run = promisify(execFile);
export const REDIS_CLI = '/usr/bin/redis-cli';

export interface ClusterNode {
  port: number;
  pid: number;
  /** Kills the node (SIGKILL), as a crashed host would go. */
  kill: () => Promise<void>;
}

/**
 * A real Redis Cluster of 3 primaries and 3 replicas (`redis-server --cluster-enabled yes` × 6,
 * `redis-cli --cluster create … --cluster-replicas 1`) on free loopback ports, persistence off, and
 * a short node timeout so a failover takes about a second; `stop()` ends every node by PID.
 */
export async function startCluster(): Promise<{
  nodes: ClusterNode[];
  /** `host:port` of the nodes, for a client's root nodes. */
  addresses: string[];
  /** Asks one node (`redis-cli -p port …`). */
  cli: (port: number, ...args: string[]) => Promise<string>;
  /** Resolves once every live node reports `cluster_state:ok`. */
  healthy: () => Promise<void>;
  /** The node that serves `key`'s slot as primary now. */
  primaryOf: (key: string) => Promise<ClusterNode>;
  stop: () => Promise<void>;
}> {
  if (redisMissing) throw new Error(redisMissing);
  const dir = await mkdtemp(join(tmpdir(), 'sse-cluster-'));
  const nodes: Array<ClusterNode & { alive: boolean }> = [];
  for (let index = 0; index < 6; index++) {
    const port = await freePort();
    const busPort = await freePort();
    const child: ChildProcess = spawn(
      REDIS_SERVER,
      [
        '--port',
        String(port),
        '--cluster-port',
        String(busPort),
        '--bind',
        '127.0.0.1',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        join(dir, `nodes-${port}.conf`),
        '--cluster-node-timeout',
        '1000',
        '--save',
        '',
        '--appendonly',
        'no',
        '--protected-mode',
        'no',
        '--dir',
        dir,
      ],
      { stdio: 'ignore' },
    );
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const node = {
      port,
      pid: child.pid!,
      alive: true,
      kill: async () => {
        node.alive = false;
        process.kill(child.pid!, 'SIGKILL');
        await exited;
      },
    };
    nodes.push(node);
  }
  const cli = async (port: number, ...args: string[]) =>
    (await run(REDIS_CLI, ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 20_000 })).stdout;
  // Ready once each answers PING.
  for (const node of nodes) {
    for (let tries = 0; ; tries++) {
      if ((await cli(node.port, 'PING').catch(() => '')).trim() === 'PONG') break;
      if (tries > 100) throw new Error(`redis-server did not start on port ${node.port}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  const addresses = nodes.map((node) => `127.0.0.1:${node.port}`);
  await run(REDIS_CLI, ['--cluster', 'create', ...addresses, '--cluster-replicas', '1', '--cluster-yes'], {
    timeout: 60_000,
  });

  async function healthy() {
    for (let tries = 0; ; tries++) {
      const states = await Promise.all(
        nodes.filter((node) => node.alive).map((node) => cli(node.port, 'CLUSTER', 'INFO').catch(() => '')),
      );
      if (states.every((info) => info.includes('cluster_state:ok'))) return;
      if (tries > 200) throw new Error('the cluster did not reach cluster_state:ok');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  await healthy();
  // And every replica has synced with its primary, or killing a primary would leave no one to take over.
  for (let tries = 0; ; tries++) {
    const roles = await Promise.all(nodes.map((node) => cli(node.port, 'INFO', 'replication')));
    const replicas = roles.filter((info) => info.includes('role:slave'));
    if (replicas.length === 3 && replicas.every((info) => info.includes('master_link_status:up'))) break;
    if (tries > 200) throw new Error('the replicas did not sync with their primaries');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  async function primaryOf(key: string): Promise<ClusterNode> {
    const asker = nodes.find((node) => node.alive)!;
    const slot = Number((await cli(asker.port, 'CLUSTER', 'KEYSLOT', key)).trim());
    // CLUSTER NODES: `<id> <host:port@bus> <flags> <primary> <ping> <pong> <epoch> <link> <slot ranges…>`.
    for (const line of (await cli(asker.port, 'CLUSTER', 'NODES')).split('\n')) {
      const [, address, flags, , , , , , ...ranges] = line.split(' ');
      if (!flags?.split(',').includes('master') || flags.includes('fail')) continue;
      const owns = ranges.some((range) => {
        const [from, to = from] = range.split('-').map(Number);
        return from! <= slot && slot <= to!;
      });
      const port = Number(/:(\d+)@/.exec(address ?? '')?.[1]);
      const node = nodes.find((each) => each.port === port);
      if (owns && node) return node;
    }
    throw new Error(`no primary found for slot ${slot}`);
  }

  return {
    nodes,
    addresses,
    cli,
    healthy,
    primaryOf,
    stop: async () => {
      await Promise.all(nodes.filter((node) => node.alive).map((node) => node.kill()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
