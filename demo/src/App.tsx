import { Chat } from './chat/Chat.js';
import { CodePanel } from './CodePanel.js';
import { Faults } from './Faults.js';
import { RequestLog } from './RequestLog.js';
import { useServerLog } from './server-log.js';
import { Ticker } from './Ticker.js';
import { Timeline } from './Timeline.js';

export function App() {
  const server = useServerLog();
  return (
    <>
      <header>
        <h1>fetch-eventsource demo</h1>
        <p>
          An authenticated chat, each answer streamed with POST, then broken on purpose: drop the connection, reload the
          page, stop it. Watch it recover without losing or repeating a word. With the AI SDK:{' '}
          <a href="/ai-sdk">its default transport and this library's, side by side</a>.
        </p>
      </header>
      <main>
        <Chat />
        <div className="stack">
          <Faults faults={server.faults} />
          <Timeline />
          <RequestLog entries={server.entries} />
          <Ticker />
          <CodePanel />
        </div>
      </main>
    </>
  );
}
