import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { listen } from '../helpers/http-server.js';

// `npm test` builds before it runs vitest; these tests check what the package ships.
const run = promisify(execFile);
const script = fileURLToPath(new URL('../fixtures/stream-one.mjs', import.meta.url));
let server: Awaited<ReturnType<typeof listen>>;

beforeAll(async () => {
  server = await listen((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.end(`id: 1\ndata: ${request.method} ${body}\n\n`);
    });
  });
});
afterAll(() => server.close());

test.each([
  ['ESM', 'esm', '../../dist/index.js'],
  ['CJS', 'cjs', '../../dist/index.cjs'],
])(
  'the built %s file imports in plain Node without touching DOM globals and streams an event',
  async (_name, format, file) => {
    const modulePath = fileURLToPath(new URL(file, import.meta.url));
    const { stdout } = await run(process.execPath, [script, modulePath, format, server.url]);
    const result = JSON.parse(stdout) as { seen: unknown; events: unknown[]; exports: string[] };
    expect(result.seen).toEqual({ window: 'undefined', document: 'undefined' });
    expect(result.events).toEqual([{ id: '1', event: 'message', data: 'POST {"prompt":"hi"}' }]);
    expect(result.exports).toContain('fetchEventSource');
    expect(result.exports).toContain('HttpError');
  },
);
