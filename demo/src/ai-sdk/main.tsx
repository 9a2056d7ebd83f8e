// The /ai-sdk page: two `useChat` chats on the same canned model and the same buttons, one on the AI
// SDK's DefaultChatTransport, one on fetch-eventsource/ai-sdk's FetchEventSourceChatTransport. Drop
// cuts both answers' connections at once; Reload reloads the page (both chats resume on mount).
import { useChat } from '@ai-sdk/react';
import { DefaultChatTransport, type ChatTransport, type UIMessage } from 'ai';
import { FetchEventSourceChatTransport } from 'fetch-eventsource/ai-sdk';
import { useEffect, useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';

interface Saved {
  id: string;
  messages: UIMessage[];
}

const API = '/api/ai-sdk/chat';
const textOf = (message: UIMessage) => message.parts.map((part) => (part.type === 'text' ? part.text : '')).join('');

/** A chat's id and the turns it sent, kept in sessionStorage so a reload resumes its answer. */
function load(key: string): Saved {
  const kept = sessionStorage.getItem(key);
  return kept ? (JSON.parse(kept) as Saved) : { id: crypto.randomUUID(), messages: [] };
}

function Side({
  name,
  title,
  transport,
  ask,
}: {
  name: string;
  title: string;
  transport: ChatTransport<UIMessage>;
  ask: { prompt: string; n: number };
}) {
  const [saved] = useState(() => load(`ai-sdk-${name}`));
  const { messages, sendMessage, status, error } = useChat({
    id: saved.id,
    messages: saved.messages,
    transport,
    resume: true,
  });
  useEffect(() => {
    if (ask.n > 0) void sendMessage({ text: ask.prompt });
  }, [ask]);
  // Keep what was sent: an answer still streaming is left out (the resume route replays it whole).
  useEffect(() => {
    const busy = status === 'submitted' || status === 'streaming';
    const kept = busy && messages.at(-1)?.role === 'assistant' ? messages.slice(0, -1) : messages;
    sessionStorage.setItem(`ai-sdk-${name}`, JSON.stringify({ id: saved.id, messages: kept }));
  }, [messages, status]);
  return (
    <section className="side" data-testid={`side-${name}`}>
      <h2>{title}</h2>
      <p className="status">
        status: <b data-testid="status">{status}</b>
      </p>
      {messages.map((message) => (
        <p key={message.id} className={message.role} data-testid={`message-${message.role}`}>
          {textOf(message)}
        </p>
      ))}
      {error && (
        <p className="error" data-testid="error">
          {error.message}
        </p>
      )}
    </section>
  );
}

function Page() {
  const [prompt, setPrompt] = useState('How does a chat answer survive a dropped connection?');
  const [ask, setAsk] = useState({ prompt: '', n: 0 });
  const transports = useMemo(
    () => ({
      standard: new DefaultChatTransport<UIMessage>({ api: API }),
      resumable: new FetchEventSourceChatTransport<UIMessage>({ api: API }),
    }),
    [],
  );
  return (
    <>
      <header>
        <h1>The AI SDK, side by side</h1>
        <p>
          The same question to the same canned model, through two transports. Drop the connection mid-answer: the AI
          SDK's default transport ends in <code>error</code> with the answer cut; fetch-eventsource's resumes it where
          it stopped. A new tab is a new pair of chats. <a href="/">The main demo</a>
        </p>
        <form
          onSubmit={(event) => {
            event.preventDefault();
            if (prompt.trim()) setAsk({ prompt, n: ask.n + 1 });
          }}
        >
          <input aria-label="Prompt" value={prompt} onChange={(event) => setPrompt(event.target.value)} />
          <button type="submit">Send to both</button>
          <button type="button" onClick={() => void fetch('/api/ai-sdk/drop', { method: 'POST' })}>
            Drop the connections
          </button>
          <button type="button" onClick={() => location.reload()}>
            Reload the page
          </button>
        </form>
      </header>
      <main className="sides">
        <Side name="default" title="DefaultChatTransport (the AI SDK's)" transport={transports.standard} ask={ask} />
        <Side name="resumable" title="FetchEventSourceChatTransport" transport={transports.resumable} ask={ask} />
      </main>
    </>
  );
}

createRoot(document.getElementById('root')!).render(<Page />);
