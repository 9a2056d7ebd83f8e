// @ts-check
// `REDIS_URL=redis://127.0.0.1:6379 npm run demo:cluster`: the demo as a deployment with two replicas.
// Two server processes (instances A and B, on PORT + 1 and PORT + 2) keep the answers in the same
// Redis and sign tokens with one secret; a round-robin proxy on PORT (8787) sends each request to
// the next instance, so a reconnect or a reload usually lands on the other one. The request log on
// the page says which instance served what.
import { randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import { createServer, request as forward } from 'node:http';
import { pipeline } from 'node:stream';
import { fileURLToPath } from 'node:url';

/**
 * A proxy on `port` that sends each request to the next of `targets` (`http://host:port`) in turn.
 * @param {string[]} targets
 * @param {{ port?: number, host?: string }} [options]
 * @returns {Promise<{ url: string, close(): Promise<void> }>}
 */
export async function startRoundRobinProxy(targets, { port = 0, host = '127.0.0.1' } = {}) {
  let next = 0;
  const server = createServer((incoming, outgoing) => {
    const target = new URL(incoming.url ?? '/', targets[next++ % targets.length]);
    const upstream = forward(target, { method: incoming.method, headers: incoming.headers }, (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      // An instance that cuts its connection cuts the client's too (pipeline destroys both ends).
      pipeline(answer, outgoing, () => {});
    });
    upstream.on('error', () => {
      if (!outgoing.headersSent) outgoing.writeHead(502).end('instance unreachable');
      else outgoing.destroy();
    });
    // The client went away (or dropped): the instance sees its connection go too.
    outgoing.on('close', () => upstream.destroy());
    incoming.pipe(upstream);
  });
  await new Promise((resolve) => server.listen(port, host, () => resolve(undefined)));
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `http://${host}:${address.port}/`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (!process.env.REDIS_URL) {
    console.error(
      'demo:cluster needs REDIS_URL (e.g. redis-server --port 6379 --save "" and REDIS_URL=redis://127.0.0.1:6379)',
    );
    process.exit(1);
  }
  const port = Number(process.env.PORT ?? 8787);
  const secret = process.env.DEMO_SECRET ?? randomUUID();
  const server = fileURLToPath(new URL('./server.mjs', import.meta.url));
  const instances = ['A', 'B'].map((name, index) =>
    spawn(process.execPath, [server], {
      env: { ...process.env, INSTANCE: name, PORT: String(port + 1 + index), DEMO_SECRET: secret },
      stdio: 'inherit',
    }),
  );
  for (const child of instances) child.on('exit', () => process.exit(1));
  const proxy = await startRoundRobinProxy([`http://127.0.0.1:${port + 1}`, `http://127.0.0.1:${port + 2}`], { port });
  console.log(`fetch-eventsource demo, two instances behind a round-robin proxy: open ${proxy.url}`);
}
