'use client';
// The chat page: `useChat` as usual, with `FetchEventSourceChatTransport` in place of the default
// transport. A drop mid-answer is healed inside the stream; a reload mid-answer picks the answer up
// again (`resume: true`), since the page keeps its chat id and the turns it sent in sessionStorage.
import { useChat } from '@ai-sdk/react';
import type { UIMessage } from 'ai';
import { FetchEventSourceChatTransport } from 'fetch-eventsource/ai-sdk';
import { useEffect, useMemo, useState } from 'react';

interface Saved {
  id: string;
  messages: UIMessage[];
}

const textOf = (message: UIMessage) => message.parts.map((part) => (part.type === 'text' ? part.text : '')).join('');

export default function Page() {
  // sessionStorage exists only in the browser: read it after the first render, not during it.
  const [saved, setSaved] = useState<Saved>();
  useEffect(() => {
    // The session the server ties answers to (a real app has its own).
    if (!/(?:^|;\s*)sid=/.test(document.cookie)) document.cookie = `sid=${crypto.randomUUID()}; path=/; SameSite=Lax`;
    const kept = sessionStorage.getItem('chat');
    setSaved(kept ? (JSON.parse(kept) as Saved) : { id: crypto.randomUUID(), messages: [] });
  }, []);
  return saved ? <Chat saved={saved} /> : null;
}

function Chat({ saved }: { saved: Saved }) {
  const [reconnecting, setReconnecting] = useState(false);
  const transport = useMemo(
    () => new FetchEventSourceChatTransport({ api: '/api/chat', onReconnect: () => setReconnecting(true) }),
    [],
  );
  const { messages, sendMessage, status, stop, error } = useChat({
    id: saved.id,
    messages: saved.messages,
    transport,
    resume: true,
    onFinish: () => setReconnecting(false),
  });
  const [prompt, setPrompt] = useState('');

  // Keep what was sent: an answer still streaming is left out, the resume route replays it whole.
  useEffect(() => {
    const busy = status === 'submitted' || status === 'streaming';
    const kept = busy && messages.at(-1)?.role === 'assistant' ? messages.slice(0, -1) : messages;
    sessionStorage.setItem('chat', JSON.stringify({ id: saved.id, messages: kept }));
  }, [messages, status, saved.id]);

  const stopAnswer = () => {
    void stop();
    // Aborting the request ends this connection only; the route stops the model on the server.
    void fetch(`/api/chat/${saved.id}/stream`, { method: 'DELETE' });
  };

  return (
    <main>
      <h1>fetch-eventsource × AI SDK</h1>
      {messages.map((message) => (
        <p key={message.id} data-testid={`message-${message.role}`}>
          <b>{message.role === 'user' ? 'You' : 'Assistant'}:</b> {textOf(message)}
        </p>
      ))}
      <p data-testid="status">
        {status}
        {reconnecting && status === 'streaming' ? ' (reconnected after a drop)' : ''}
      </p>
      {error && (
        <p role="alert" data-testid="error">
          {error.message}
        </p>
      )}
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (!prompt.trim()) return;
          void sendMessage({ text: prompt });
          setPrompt('');
        }}
      >
        <input aria-label="Prompt" value={prompt} onChange={(event) => setPrompt(event.target.value)} />
        <button type="submit" disabled={status === 'submitted' || status === 'streaming'}>
          Send
        </button>
        <button type="button" onClick={stopAnswer} disabled={status !== 'submitted' && status !== 'streaming'}>
          Stop
        </button>
      </form>
    </main>
  );
}
