// app/chat.tsx — the page that reads the route above: docs/server.md shows this file as it is, and
// test/next-page.test.tsx runs it against the route.
'use client';
import { useEventStream } from 'fetch-eventsource/react';
import { useRef, useState } from 'react';

export function Chat() {
  const [answer, setAnswer] = useState('');
  const answerId = useRef('');
  const { status, isActive, start } = useEventStream((message) => {
    if (message.event === 'answer') {
      answerId.current = message.data; // for Stop
    } else if (message.event === 'error') {
      // The model failed: a throw ends the stream as `failed`, with this error, never retried.
      throw new Error((JSON.parse(message.data) as { message: string }).message);
    } else {
      setAnswer((text) => text + (JSON.parse(message.data) as { token: string }).token);
    }
  });
  function ask(prompt: string) {
    setAnswer('');
    void start('/api/chat', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ prompt }),
    });
  }
  const stop = () => void fetch(`/api/chat?answer=${answerId.current}`, { method: 'DELETE' });
  return (
    <div>
      <button disabled={isActive} onClick={() => ask('Hello')}>
        Ask
      </button>
      <button disabled={!isActive} onClick={stop}>
        Stop
      </button>
      {status.state === 'reconnecting' && <span>reconnecting…</span>}
      {status.state === 'failed' && <span role="alert">{(status.error as Error).message}</span>}
      <p>{answer}</p>
    </div>
  );
}
