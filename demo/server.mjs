// @ts-check
// `npm run demo` builds the library, then runs this file: the demo server (demo/server/) on
// 127.0.0.1:8787 (PORT), with the page, the chat and its faults. See demo/server/app.mjs.
import { fileURLToPath } from 'node:url';
import { startDemoServer } from './server/app.mjs';

export { startDemoServer } from './server/app.mjs';
export { MAX_MESSAGE } from './server/chat.mjs';

/** @typedef {Awaited<ReturnType<typeof startDemoServer>>} DemoServer */
/** @typedef {import('./server/log.mjs').LoggedRequest} LoggedRequest */

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const demo = await startDemoServer({ port: Number(process.env.PORT ?? 8787) });
  console.log(`fetch-eventsource demo: open ${demo.url}`);
}
