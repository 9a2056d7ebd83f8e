import { fetchEventSource, isHttpError } from 'fetch-eventsource';
import { useEventStream, type StreamStatus } from 'fetch-eventsource/react';
import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import type { LoggedRequest } from '../server.mjs';

export function App() {
  return (
    <>
      <header>
        <h1>fetch-eventsource demo</h1>
        <p>
          An authenticated chat, each answer streamed with POST, then broken on purpose: drop the connection, reload the
          page, stop it. Watch it recover without losing or repeating a word.
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

interface Turn {
  role: 'user' | 'assistant';
  content: string;
  /** Why an answer ended early: stopped, failed, … */
  note?: string;
}

/** The answer being streamed: kept in sessionStorage at every token, so a reload resumes it. */
interface Pending {
  messages: Turn[];
  text: string;
  /** The id of the last event received: `<answer id>:<token index>`. */
  lastEventId: string;
  answerId: string | null;
  error?: string;
}

const STORAGE_KEY = 'fetch-eventsource-demo-chat';

function loadChat(): { turns: Turn[]; pending: Pending | null } {
  try {
    return (
      (JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? 'null') as {
        turns: Turn[];
        pending: Pending | null;
      } | null) ?? { turns: [], pending: null }
    );
  } catch {
    return { turns: [], pending: null };
  }
}

function Chat() {
  const saved = useMemo(loadChat, []);
  const [turns, setTurns] = useState<Turn[]>(saved.turns);
  const [answer, setAnswer] = useState(saved.pending?.text ?? '');
  const [prompt, setPrompt] = useState(
    saved.turns.length ? '' : 'How do Server-Sent Events survive a dropped connection?',
  );
  const pending = useRef<Pending | null>(saved.pending);
  const turnsRef = useRef(turns);
  turnsRef.current = turns;
  // The bearer token and when it expires (ms since epoch): renewed before it does.
  const token = useRef<{ value: string; expiresAt: number } | null>(null);
  const conversation = useRef<HTMLDivElement>(null);
  // Keep the newest words in view, unless the reader scrolled up to read.
  const atBottom = useRef(true);
  useEffect(() => {
    if (atBottom.current) conversation.current?.scrollTo({ top: conversation.current.scrollHeight });
  }, [turns, answer]);
  // From the click to the first request (the token is fetched first): Send must not go twice.
  const [sending, setSending] = useState(false);

  const persist = () =>
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify({ turns: turnsRef.current, pending: pending.current }));

  const chat = useEventStream((message) => {
    const current = pending.current;
    if (!current) return;
    if (message.event === 'answer') current.answerId = (JSON.parse(message.data) as { id: string }).id;
    // The model failed: the stream ends as failed (a throw from the handler is fatal), with its reason.
    else if (message.event === 'error') {
      current.error = (JSON.parse(message.data) as { message: string }).message;
      throw new Error(current.error);
    } else if (message.event === 'message' && message.data !== '[DONE]') {
      current.text += (JSON.parse(message.data) as { token: string }).token;
      setAnswer(current.text);
    }
    if (message.id) current.lastEventId = message.id;
    persist();
  });
  const busy = chat.isActive || sending;
  const model = useModel();
  const failure = useFailureText(chat.status);

  // The stream ended, one way or another: the answer joins the conversation.
  useEffect(() => {
    const current = pending.current;
    const { state } = chat.status;
    if (!current || !['done', 'stopped', 'failed'].includes(state)) return;
    if (state === 'failed' && failure === null) return; // wait for the server's reason
    // A prompt the server refused (400, 413) goes back to the box, not into the history.
    const refused =
      state === 'failed' && isHttpError(chat.status.error) && [400, 413].includes(chat.status.error.status);
    if (refused) {
      pending.current = null;
      const kept = turnsRef.current.slice(0, -1);
      setPrompt(turnsRef.current.at(-1)?.content ?? '');
      turnsRef.current = kept;
      setTurns(kept);
      setAnswer('');
      persist();
      return;
    }
    const note = current.error ?? (state === 'stopped' ? 'stopped' : state === 'failed' ? failure! : undefined);
    pending.current = null;
    const next = [
      ...turnsRef.current,
      { role: 'assistant' as const, content: current.text, ...(note ? { note } : {}) },
    ];
    turnsRef.current = next;
    setTurns(next);
    setAnswer('');
    persist();
  }, [chat.status, failure]);

  async function stream(messages: Turn[], lastEventId: string) {
    setSending(true);
    try {
      await freshToken();
    } finally {
      setSending(false);
    }
    await chat.start('/api/chat', {
      method: 'POST',
      // A function, called before every attempt: a reconnect after a long wait renews the token first.
      headers: async () => ({ Authorization: `Bearer ${await freshToken()}`, 'Content-Type': 'application/json' }),
      body: JSON.stringify({ messages: messages.map(({ role, content }) => ({ role, content })) }),
      // After a reload: the server resumes this answer right after the last token we have.
      lastEventId,
      onerror: (error) => {
        // A 401 means our token is no good: forget it, so the next Send fetches a fresh one.
        if ((error as { status?: number }).status === 401) token.current = null;
      },
    });
  }

  /** The token we hold, or a new one when there is none or it expires within 30 s. */
  async function freshToken(): Promise<string> {
    if (!token.current || token.current.expiresAt - Date.now() < 30_000) {
      const issued = (await (await fetch('/api/token', { method: 'POST' })).json()) as {
        token: string;
        expiresIn: number;
      };
      token.current = { value: issued.token, expiresAt: Date.now() + issued.expiresIn * 1000 };
    }
    return token.current.value;
  }

  // A reload in the middle of an answer: resume it where it stopped.
  useEffect(() => {
    const current = pending.current;
    if (current) void stream(current.messages, current.lastEventId);
  }, []);

  function send(event: FormEvent) {
    event.preventDefault();
    if (busy || prompt.trim() === '') return;
    const messages = [...turns, { role: 'user' as const, content: prompt }];
    turnsRef.current = messages;
    setTurns(messages);
    setPrompt('');
    setAnswer('');
    pending.current = { messages, text: '', lastEventId: '', answerId: null };
    persist();
    void stream(messages, '');
  }

  function stop() {
    const answerId = pending.current?.answerId;
    chat.stop();
    // Aborting closes the connection; this tells the server to stop generating at once.
    if (answerId) void fetch('/api/answers/stop', { method: 'POST', body: JSON.stringify({ id: answerId }) });
  }

  function clear() {
    chat.stop();
    pending.current = null;
    turnsRef.current = [];
    setTurns([]);
    setAnswer('');
    sessionStorage.removeItem(STORAGE_KEY);
  }

  return (
    <section className="card">
      <h2>
        Chat <Badge status={chat.status} failure={failure} />
      </h2>
      <p className="hint" data-testid="model">
        Answered by {model ?? '…'}
      </p>
      <div
        className="conversation"
        data-testid="conversation"
        ref={conversation}
        onScroll={(event) => {
          const box = event.currentTarget;
          atBottom.current = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
        }}
      >
        {turns.map((turn, index) => (
          <div key={index} className={`turn ${turn.role}`}>
            <span data-testid={`turn-${turn.role}`}>{turn.content}</span>
            {turn.note ? <em className="note"> ({turn.note})</em> : null}
          </div>
        ))}
        {pending.current || answer ? (
          <div className="turn assistant streaming" data-testid="answer" aria-live="polite">
            {answer}
          </div>
        ) : null}
      </div>
      <form onSubmit={send}>
        <textarea
          aria-label="Prompt"
          value={prompt}
          onChange={(e) => setPrompt(e.target.value)}
          // Enter sends, Shift+Enter is a new line, Escape stops the answer.
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey) send(e);
            else if (e.key === 'Escape' && busy) stop();
          }}
        />
        <span className="counter" data-testid="counter">
          {prompt.length} / 4000
        </span>
        <button className="primary" type="submit" disabled={busy || prompt.trim() === ''}>
          Send
        </button>
        <button type="button" onClick={stop} disabled={!busy}>
          Stop
        </button>
        <button type="button" onClick={clear} disabled={busy}>
          New chat
        </button>
      </form>
      <h2 style={{ marginTop: 16 }}>Break it</h2>
      <div className="faults">
        <Fault name="drop" label="Drop the connection" />
        <Fault name="unavailable" label="Next request: 503 + Retry-After" />
        <Fault name="expire" label="Expire the token" />
        <Fault name="slow" label="Slow mode" />
      </div>
      <p className="hint">
        Drop cuts the answer mid-stream: the client reconnects with Last-Event-ID and the server resumes after the last
        token. Reload the page mid-answer: it goes on where it stopped. Stop ends the answer on the server too. An
        expired token gets one 401 and no retry loop.
      </p>
    </section>
  );
}

/** "401 Unauthorized: token expired": the status and the server's own JSON error; null until known. */
function useFailureText(status: StreamStatus): string | null {
  const [text, setText] = useState<string | null>(null);
  useEffect(() => {
    if (status.state !== 'failed') return setText(null);
    let current = true;
    void describe(status.error).then((described) => current && setText(described));
    return () => void (current = false);
  }, [status]);
  return text;
}

async function describe(error: unknown): Promise<string> {
  if (!isHttpError(error)) return error instanceof Error ? error.message : String(error);
  const body = (await error.response.json().catch(() => null)) as { error?: string } | null;
  return `${error.status} ${error.response.statusText}${body?.error ? `: ${body.error}` : ''}`;
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
      <button onClick={() => (running ? feed.stop() : void feed.start('/api/feed', { reconnectOnClose: true }))}>
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
              <th>instance</th>
              <th>request</th>
              <th>Last-Event-ID</th>
              <th>status</th>
              <th>what happened</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((entry) => (
              <tr key={entry.n}>
                <td>{entry.n}</td>
                <td>{entry.instance}</td>
                <td>
                  {entry.method} {entry.path}
                </td>
                <td>{entry.lastEventId ?? '—'}</td>
                <td>{entry.status}</td>
                <td>{entry.note}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function Badge({
  status,
  paused = false,
  failure = null,
}: {
  status: StreamStatus;
  paused?: boolean;
  failure?: string | null;
}) {
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
        // `attempt` counts requests; the first reconnect is the second request.
        const reconnect = status.attempt - 1;
        return seconds > 0
          ? `reconnecting in ${seconds} s (reconnect ${reconnect})`
          : `reconnecting (reconnect ${reconnect})`;
      }
      case 'done':
        return 'done';
      case 'stopped':
        return 'stopped';
      case 'failed':
        return `failed: ${failure ?? '…'}`;
    }
  })();
  return (
    <span className={`badge ${status.state}`} data-testid="badge">
      {text}
    </span>
  );
}

/** Which model answers, as the server says. */
function useModel(): string | null {
  const [model, setModel] = useState<string | null>(null);
  useEffect(() => {
    void fetch('/api/model')
      .then((response) => response.json() as Promise<{ model: string }>)
      .then(({ model: name }) => setModel(name))
      .catch(() => setModel('an unknown model'));
  }, []);
  return model;
}

/** The current time, re-rendered every 250 ms while `ticking`. */
function useNow(ticking: boolean): number {
  const [, setTick] = useState(0);
  useEffect(() => {
    if (!ticking) return;
    const timer = setInterval(() => setTick((tick) => tick + 1), 250);
    return () => clearInterval(timer);
  }, [ticking]);
  // Read at every render: the first frame of a countdown is right, not a stale tick's time.
  return Date.now();
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
