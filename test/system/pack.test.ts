import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { listen } from '../helpers/http-server.js';

// Packs the package as npm would publish it, installs the tarball into a fresh project, and
// uses it there: what a user gets, not what the repository has.
const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
let project: string;
let server: Awaited<ReturnType<typeof listen>>;

beforeAll(async () => {
  project = await mkdtemp(join(tmpdir(), 'fetch-eventsource-pack-'));
  await run(npm, ['pack', '--pack-destination', project, '--ignore-scripts'], { cwd: root });
  const tarball = (await readdir(project)).find((name) => name.endsWith('.tgz'))!;
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  await run(
    npm,
    // React, the AI SDK and TanStack AI too: `/react`, `/ai-sdk` and `/tanstack-ai` need their optional peers.
    [
      'install',
      join(project, tarball),
      'react@19',
      'ai@7.0.185',
      '@tanstack/ai@0.58.0',
      '@tanstack/ai-client@0.33.2',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
    ],
    {
      cwd: project,
    },
  );
  await copyFile(join(fixtures, 'stream-one.mjs'), join(project, 'stream-one.mjs'));
  server = await listen((request, response) => {
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    response.end(`data: ${request.method} from the tarball\n\n`);
  });
}, 120_000);
afterAll(async () => {
  await server?.close();
  if (project) await rm(project, { recursive: true, force: true });
});

test('the tarball holds dist, the README, the LICENSE and package.json, and no source map', async () => {
  const { stdout } = await run(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root });
  const [pack] = JSON.parse(stdout) as Array<{ size: number; unpackedSize: number; files: Array<{ path: string }> }>;
  const files = pack!.files.map((f) => f.path).sort();
  const topLevel = ['README.md', 'LICENSE', 'package.json'];
  expect(files.every((path) => path.startsWith('dist/') || topLevel.includes(path))).toBe(true);
  expect(files).toEqual(
    expect.arrayContaining([...topLevel, 'dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts']),
  );
  expect(files.filter((path) => path.endsWith('.map'))).toEqual([]);
  console.info(
    `tarball: ${(pack!.size / 1000).toFixed(1)} kB packed, ${(pack!.unpackedSize / 1000).toFixed(1)} kB unpacked`,
  );
});

test.each(['esm', 'cjs'])('installed from the tarball, it imports as %s and streams an event', async (format) => {
  const { stdout } = await run(process.execPath, ['stream-one.mjs', 'fetch-eventsource', format, server.url], {
    cwd: project,
  });
  expect(JSON.parse(stdout)).toMatchObject({ events: [{ data: 'POST from the tarball' }] });
});

test.each([
  ['esm', `import('fetch-eventsource/react').then((m) => console.log(typeof m.useEventStream))`],
  ['cjs', `console.log(typeof require('fetch-eventsource/react').useEventStream)`],
])('fetch-eventsource/react imports as %s from the tarball', async (_format, code) => {
  const { stdout } = await run(process.execPath, ['-e', code], { cwd: project });
  expect(stdout.trim()).toBe('function');
});

test.each([
  [
    'esm',
    `import('fetch-eventsource/ai-sdk').then((m) => console.log(typeof m.FetchEventSourceChatTransport, typeof m.chatAnswers))`,
  ],
  [
    'cjs',
    `const m = require('fetch-eventsource/ai-sdk'); console.log(typeof m.FetchEventSourceChatTransport, typeof m.chatAnswers)`,
  ],
])(
  'fetch-eventsource/ai-sdk imports as %s from the tarball, with the library by its own name',
  async (_format, code) => {
    const { stdout } = await run(process.execPath, ['-e', code], { cwd: project });
    expect(stdout.trim()).toBe('function function');
    for (const file of ['ai-sdk.js', 'ai-sdk.cjs']) {
      const text = await readFile(join(project, 'node_modules/fetch-eventsource/dist', file), 'utf8');
      // One copy of the library: the entries are imported, not bundled in.
      expect(text).toMatch(/["']fetch-eventsource["']/);
      expect(text).not.toMatch(/function fetchEventSource\b/);
    }
  },
);

test('fetch-eventsource/tanstack-ai imports as esm from the tarball; ESM only, as its TanStack peers are', async () => {
  const code = `import('fetch-eventsource/tanstack-ai').then((m) => console.log(typeof m.fetchEventSourceConnection, typeof m.storeDurability))`;
  const { stdout } = await run(process.execPath, ['-e', code], { cwd: project });
  expect(stdout.trim()).toBe('function function');
  await expect(
    run(process.execPath, ['-e', `require('fetch-eventsource/tanstack-ai')`], { cwd: project }),
  ).rejects.toThrow(/ERR_PACKAGE_PATH_NOT_EXPORTED/);
});

test('the main entry never imports react, the AI SDK or the server half, so it works without them', async () => {
  for (const file of ['index.js', 'index.cjs']) {
    const text = await readFile(join(project, 'node_modules/fetch-eventsource/dist', file), 'utf8');
    expect(text).not.toMatch(/["']ai["']/);
    expect(text).not.toMatch(/["']react["']/);
    expect(text).not.toMatch(/["'][./\w-]*server(\.c?js)?["']/);
  }
});

test.each([
  [
    'esm',
    `import('fetch-eventsource/server').then((m) => console.log(typeof m.redisStore, typeof m.eventStreamResponse))`,
  ],
  [
    'cjs',
    `const m = require('fetch-eventsource/server'); console.log(typeof m.redisStore, typeof m.eventStreamResponse)`,
  ],
])(
  'fetch-eventsource/server imports as %s from the tarball, without redis, ioredis or react installed for it',
  async (_format, code) => {
    const { stdout } = await run(process.execPath, ['-e', code], { cwd: project });
    expect(stdout.trim()).toBe('function function');
    for (const file of ['server.js', 'server.cjs']) {
      const text = await readFile(join(project, 'node_modules/fetch-eventsource/dist', file), 'utf8');
      expect(text).not.toMatch(/["'](redis|ioredis|react|fetch-eventsource)["']/);
    }
  },
);

describe('a consumer type-checks against the installed types', () => {
  test.each([
    ['node16', { module: 'node16', moduleResolution: 'node16' }, ['consumer.ts', 'consumer.cts']],
    ['bundler', { module: 'esnext', moduleResolution: 'bundler' }, ['consumer.ts']],
  ])('under moduleResolution %s', async (name, resolution, files) => {
    for (const file of files) await copyFile(join(fixtures, 'consumer', file), join(project, file));
    const tsconfig = {
      compilerOptions: {
        ...resolution,
        target: 'es2022',
        lib: ['es2022', 'dom', 'dom.asynciterable'],
        strict: true,
        noEmit: true,
        types: [],
      },
      files,
    };
    await writeFile(join(project, `tsconfig.${name}.json`), JSON.stringify(tsconfig));
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    const result = await run(process.execPath, [tsc, '-p', `tsconfig.${name}.json`], { cwd: project }).catch(
      (error: { stdout: string }) => error,
    );
    expect(result.stdout).toBe('');
  });
});
