import { fetchEventSource } from 'fetch-eventsource';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useEventStream, type StreamStatus } from './use-event-stream.js';

interface LoggedRequest {
  n: number;
  method: string;
  path: string;
  lastEventId: string | null;
  status: number;
}

export function App() {
  return (
    <>
      <header>
        <h1>fetch-eventsource demo</h1>
        <p>
          An authenticated chat answer streamed with POST, then broken on purpose: watch it recover without losing a
          word.
        </p>
      </header>
      <main>
        <Chat />
        <div className="stack">
          <Feed />
          <RequestLog />
        </div>
      </main>
    </>
  );
}

function Chat() {
  const [prompt, setPrompt] = useState('How do Server-Sent Events survive a dropped connection?');
  const [answer, setAnswer] = useState('');
  const token = useRef<string | null>(null);
  const chat = useEventStream((message) => {
    if (message.data === '[DONE]') return;
    const { token: piece } = JSON.parse(message.data) as { token: string };
    setAnswer((text) => text + piece);
  });
  const busy = ['connecting', 'open', 'reconnecting'].includes(chat.status.state);

  async function send(event: FormEvent) {
    event.preventDefault();
    setAnswer('');
    token.current ??= ((await (await fetch('/api/token', { method: 'POST' })).json()) as { token: string }).token;
    chat.start('/api/chat', {
      method: 'POST',
      // A function, so every attempt sends the token we hold now.
      headers: () => ({ Authorization: `Bearer ${token.current}`, 'Content-Type': 'application/json' }),
      body: JSON.stringify({ prompt }),
      onerror: (error) => {
        // A 401 means our token is no good: forget it, so the next Send fetches a fresh one.
        if ((error as { status?: number }).status === 401) token.current = null;
      },
    });
  }

  return (
    <section className="card">
      <h2>
        Chat <Badge status={chat.status} />
      </h2>
      <form onSubmit={(event) => void send(event)}>
        <textarea aria-label="Prompt" value={prompt} onChange={(e) => setPrompt(e.target.value)} />
        <button className="primary" type="submit" disabled={busy}>
          Send
        </button>
        <button type="button" onClick={chat.stop} disabled={!busy}>
          Stop
        </button>
      </form>
      <div className="answer" data-testid="answer">
        {answer}
      </div>
      <h2 style={{ marginTop: 16 }}>Break it</h2>
      <div className="faults">
        <Fault name="drop" label="Drop the connection" />
        <Fault name="unavailable" label="Next request: 503 + Retry-After" />
        <Fault name="expire" label="Expire the token" />
        <Fault name="slow" label="Slow mode" />
      </div>
      <p className="hint">
        Drop cuts the answer mid-stream: the client reconnects with Last-Event-ID and the server resumes after the last
        token. An expired token gets one 401 and no retry loop.
      </p>
    </section>
  );
}

function Fault({ name, label }: { name: string; label: string }) {
  const trigger = () => void fetch('/api/faults', { method: 'POST', body: JSON.stringify({ fault: name }) });
  return <button onClick={trigger}>{label}</button>;
}

function Feed() {
  const [ticks, setTicks] = useState<string[]>([]);
  const hidden = usePageHidden();
  const feed = useEventStream((message) => {
    const { n, time } = JSON.parse(message.data) as { n: number; time: string };
    setTicks((list) => [`#${n} at ${time.slice(11, 19)}`, ...list].slice(0, 5));
  });
  const running = feed.status.state !== 'idle' && feed.status.state !== 'stopped';
  return (
    <section className="card">
      <h2>
        Ticker (GET) <Badge status={feed.status} paused={hidden && running} />
      </h2>
      <button onClick={() => (running ? feed.stop() : feed.start('/api/feed', { reconnectOnClose: true }))}>
        {running ? 'Stop the ticker' : 'Start the ticker'}
      </button>
      <div className="ticks">
        {ticks.map((tick) => (
          <div key={tick}>{tick}</div>
        ))}
      </div>
      <p className="hint">
        A GET stream pauses while the tab is hidden and resumes with Last-Event-ID when you come back.
      </p>
    </section>
  );
}

function RequestLog() {
  const [entries, setEntries] = useState<LoggedRequest[]>([]);
  useEffect(() => {
    const controller = new AbortController();
    void fetchEventSource('/api/requests/stream', {
      signal: controller.signal,
      openWhenHidden: true,
      reconnectOnClose: true,
      onopen: () => setEntries([]),
      onmessage: (message) => setEntries((list) => [JSON.parse(message.data) as LoggedRequest, ...list].slice(0, 50)),
    });
    return () => controller.abort();
  }, []);
  return (
    <section className="card">
      <h2>Requests the server saw</h2>
      <div className="log">
        <table data-testid="request-log">
          <thead>
            <tr>
              <th>#</th>
              <th>request</th>
              <th>Last-Event-ID</th>
              <th>status</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((entry) => (
              <tr key={entry.n}>
                <td>{entry.n}</td>
                <td>
                  {entry.method} {entry.path}
                </td>
                <td>{entry.lastEventId ?? '—'}</td>
                <td>{entry.status}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function Badge({ status, paused = false }: { status: StreamStatus; paused?: boolean }) {
  const now = useNow(status.state === 'reconnecting');
  if (paused)
    return (
      <span className="badge paused" data-testid="badge">
        paused (tab hidden)
      </span>
    );
  const text = (() => {
    switch (status.state) {
      case 'idle':
        return 'idle';
      case 'connecting':
        return 'connecting…';
      case 'open':
        return 'open';
      case 'reconnecting': {
        const seconds = Math.max(0, Math.ceil((status.at - now) / 1000));
        return seconds > 0
          ? `reconnecting in ${seconds} s, attempt ${status.attempt}`
          : `reconnecting, attempt ${status.attempt}`;
      }
      case 'done':
        return 'done';
      case 'stopped':
        return 'stopped';
      case 'failed':
        return `failed: ${status.reason}`;
    }
  })();
  return (
    <span className={`badge ${status.state}`} data-testid="badge">
      {text}
    </span>
  );
}

/** The current time, re-rendered every 250 ms while `ticking`. */
function useNow(ticking: boolean): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!ticking) return;
    const timer = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(timer);
  }, [ticking]);
  return ticking ? now : Date.now();
}

function usePageHidden(): boolean {
  const [hidden, setHidden] = useState(document.visibilityState === 'hidden');
  useEffect(() => {
    const update = () => setHidden(document.visibilityState === 'hidden');
    document.addEventListener('visibilitychange', update);
    return () => document.removeEventListener('visibilitychange', update);
  }, []);
  return hidden;
}
