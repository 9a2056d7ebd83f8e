import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, test } from 'vitest';

// Every TypeScript block of the README type-checks against the sources, with the names a snippet
// leaves to the reader (`token`, `generate`, …) declared below: a renamed option or a missing import
// in the docs fails here.
const root = fileURLToPath(new URL('..', import.meta.url));

const leftToTheReader: Array<[string, string]> = [
  ['token', 'declare const token: string;'],
  ['prompt', 'declare const prompt: string;'],
  ['getToken', 'declare function getToken(): string;'],
  ['render', 'declare function render(text: string): void;'],
  ['generate', 'declare function generate(prompt: string, signal?: AbortSignal): AsyncIterable<string>;'],
  ['readSavedCursor', 'declare function readSavedCursor(): Promise<string>;'],
  ['saveCursor', 'declare function saveCursor(id: string): Promise<void>;'],
  ['showLogin', 'declare function showLogin(details: unknown): void;'],
  ['answer', 'declare let answer: string;'],
  ['chatId', 'declare const chatId: string;'],
  ['messages', 'declare const messages: unknown[];'],
  ['userIdOf', 'declare function userIdOf(request: Request): Promise<string>;'],
  ['model', "declare const model: import('ai').LanguageModel;"],
  ['redisClient', "declare const redisClient: import('redis').RedisClientType;"],
  ['textAdapter', "declare const textAdapter: Parameters<typeof import('@tanstack/ai').chat>[0]['adapter'];"],
  [
    'Chat',
    'declare function Chat(props: { messages: unknown[]; onSend: (text: string) => void; busy: boolean }): null;',
  ],
];

test('every ts/tsx block of the README and docs/ type-checks', async () => {
  // The README and the reference under docs/: every block a reader may copy.
  const pages = ['README.md', ...(await readdir(join(root, 'docs'))).map((name) => join('docs', name))];
  const texts = await Promise.all(pages.map((page) => readFile(join(root, page), 'utf8')));
  const blocks = texts.flatMap((text) => [...text.matchAll(/```(ts|tsx)\n([\s\S]*?)```/g)].map((match) => match[2]!));
  expect(blocks.length).toBeGreaterThan(5);
  // Inside the project, so 'react' and 'redis' resolve to its node_modules and their types.
  await mkdir(join(root, 'node_modules/.cache'), { recursive: true });
  const dir = await mkdtemp(join(root, 'node_modules/.cache/readme-'));
  try {
    const files: string[] = [];
    for (const [index, block] of blocks.entries()) {
      // A block that uses the library without importing it (a continuation) gets the import.
      const imports = ['fetchEventSource', 'fetchEvents']
        .filter(
          (name) => new RegExp(`\\b${name}\\(`).test(block) && !new RegExp(`import[^;]*\\b${name}\\b`).test(block),
        )
        .map((name) => `import { ${name} } from 'fetch-eventsource';\n`)
        .join('');
      const file = join(dir, `block-${index + 1}.tsx`);
      // The names a block uses but does not declare itself.
      const declarations = leftToTheReader
        .filter(([name]) => new RegExp(`\\b${name}\\b`).test(block))
        .filter(
          ([name]) =>
            !new RegExp(`(const|let|var|function\\*?)\\s+${name}\\b|\\(\\{[^)]*\\b${name}\\b[^)]*\\}\\s*:`).test(block),
        )
        .map(([, declaration]) => declaration)
        .join('\n');
      await writeFile(file, `${imports}${block}\n${declarations}\nexport {};\n`);
      files.push(file);
    }
    const tsconfig = {
      compilerOptions: {
        target: 'es2022',
        module: 'esnext',
        moduleResolution: 'bundler',
        jsx: 'react-jsx',
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        lib: ['es2023', 'dom', 'dom.iterable', 'dom.asynciterable'],
        types: ['node'],
        typeRoots: [join(root, 'node_modules/@types')],
        baseUrl: root,
        paths: {
          'fetch-eventsource': ['src/index.ts'],
          'fetch-eventsource/react': ['src/react.ts'],
          'fetch-eventsource/server': ['src/server.ts'],
          'fetch-eventsource/ai-sdk': ['src/ai-sdk.ts'],
          'fetch-eventsource/tanstack-ai': ['src/tanstack-ai.ts'],
        },
        ignoreDeprecations: '6.0',
      },
      files,
    };
    await writeFile(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    const result = await promisify(execFile)(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')]).catch(
      (error: { stdout: string }) => error,
    );
    expect(result.stdout.replaceAll(dir, 'README')).toBe('');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 60_000);
