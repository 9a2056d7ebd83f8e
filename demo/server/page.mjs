// @ts-check
// The pages (the demo, and /ai-sdk side by side): demo/src bundled with esbuild into memory (React and the hook inside it; the library
// itself served from dist/ through the page's import map, as a user's bundle would import it), and
// the lines of demo/src that drive it, for the page's code panel.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { send } from './http.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The file whose marked region the code panel shows: the calls into the library that run the chat. */
const CODE_FILE = 'demo/src/chat/useAnswerStream.ts';

/** @type {Promise<[string, string, string, string, string]> | undefined} */
let pages;

/**
 * The pages, bundled once per process: every server a process starts (the tests start dozens) serves
 * the same ones. A failed build is not kept.
 */
function loadPages() {
  pages ??= Promise.all([
    bundle('demo/src/main.tsx'),
    readFile(`${root}demo/index.html`, 'utf8'),
    codeRegion(),
    bundle('demo/src/ai-sdk/main.tsx'),
    readFile(`${root}demo/ai-sdk.html`, 'utf8'),
  ]).catch((error) => {
    pages = undefined;
    throw error;
  });
  return pages;
}

export async function pageRoutes() {
  const [js, html, code, aiSdkJs, aiSdkHtml] = await loadPages();
  /** @param {string} path */
  const javascript = (path) =>
    /** @type {(request: import('node:http').IncomingMessage, response: import('node:http').ServerResponse) => Promise<void>} */
    (async (_request, response) => send(response, 200, 'text/javascript; charset=utf-8', await readFile(path)));
  return {
    /** @type {(request: import('node:http').IncomingMessage, response: import('node:http').ServerResponse) => void} */
    'GET /': (_request, response) => send(response, 200, 'text/html; charset=utf-8', html),
    /** @type {(request: import('node:http').IncomingMessage, response: import('node:http').ServerResponse) => void} */
    'GET /app.js': (_request, response) => send(response, 200, 'text/javascript; charset=utf-8', js),
    /** @type {(request: import('node:http').IncomingMessage, response: import('node:http').ServerResponse) => void} */
    'GET /ai-sdk': (_request, response) => send(response, 200, 'text/html; charset=utf-8', aiSdkHtml),
    /** @type {(request: import('node:http').IncomingMessage, response: import('node:http').ServerResponse) => void} */
    'GET /ai-sdk.js': (_request, response) => send(response, 200, 'text/javascript; charset=utf-8', aiSdkJs),
    /** @type {(request: import('node:http').IncomingMessage, response: import('node:http').ServerResponse) => void} */
    'GET /api/code': (_request, response) =>
      send(response, 200, 'application/json', JSON.stringify({ file: CODE_FILE, code })),
    'GET /lib/index.js': javascript(`${root}dist/index.js`),
    'GET /lib/server.js': javascript(`${root}dist/server.js`),
    // eventsource-parser 4 is three ES modules that import each other by relative path.
    'GET /lib/eventsource-parser/index.js': javascript(`${root}node_modules/eventsource-parser/dist/index.js`),
    'GET /lib/eventsource-parser/parse.js': javascript(`${root}node_modules/eventsource-parser/dist/parse.js`),
    'GET /lib/eventsource-parser/errors.js': javascript(`${root}node_modules/eventsource-parser/dist/errors.js`),
  };
}

/**
 * A page's script: `entry` bundled with React (and, for /ai-sdk, the AI SDK) inside it.
 * @param {string} entry
 */
async function bundle(entry) {
  const result = await build({
    entryPoints: [`${root}${entry}`],
    bundle: true,
    write: false,
    format: 'esm',
    minify: true,
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"production"' },
    // The hook is bundled with React (one copy of React); the library it imports stays external,
    // for the import map to point at dist/.
    alias: { 'fetch-eventsource/react': `${root}dist/react.js`, 'fetch-eventsource/ai-sdk': `${root}dist/ai-sdk.js` },
    external: ['fetch-eventsource'],
    logLevel: 'silent',
  });
  return result.outputFiles[0]?.text ?? '';
}

/** The lines of CODE_FILE between `// #region library` and `// #endregion`, as they are. */
async function codeRegion() {
  const text = await readFile(`${root}${CODE_FILE}`, 'utf8');
  const region = /\/\/ #region library\n([\s\S]*?)\n\s*\/\/ #endregion/.exec(text)?.[1];
  if (!region) throw new Error(`${CODE_FILE} has no "// #region library" … "// #endregion"`);
  const indent = Math.min(
    ...region
      .split('\n')
      .filter((line) => line.trim())
      .map((line) => /^ */.exec(line)?.[0].length ?? 0),
  );
  return region
    .split('\n')
    .map((line) => line.slice(indent))
    .join('\n');
}
