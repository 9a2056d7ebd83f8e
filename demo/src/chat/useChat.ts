// The chat's state and the calls into the library that stream it: turns, the answer being streamed
// (kept in sessionStorage at every token, so a reload resumes it), and what the library decided,
// for the timeline. The code panel shows the region marked below, as it is.
import { isHttpError, type RetryInfo } from 'fetch-eventsource';
import { useEventStream, type StreamStatus } from 'fetch-eventsource/react';
import { useEffect, useRef, useState } from 'react';
import { addToTimeline } from '../decisions.js';
import { forgetToken, freshToken } from '../token.js';

export interface Turn {
  role: 'user' | 'assistant';
  content: string;
  /** Why an answer ended early: stopped, failed, … */
  note?: string;
}

/** The answer being streamed. */
interface Pending {
  messages: Turn[];
  text: string;
  /** The id of the last event received: `<answer id>:<token index>`. */
  lastEventId: string;
  answerId: string | null;
  /** The model's own failure, from an `error` event. */
  error?: string;
}

const STORAGE_KEY = 'fetch-eventsource-demo-chat';
const log = (kind: Parameters<typeof addToTimeline>[1], text: string) => addToTimeline('chat', kind, text);

function loadChat(): { turns: Turn[]; pending: Pending | null } {
  try {
    const saved = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? 'null') as {
      turns: Turn[];
      pending: Pending | null;
    } | null;
    return saved ?? { turns: [], pending: null };
  } catch {
    return { turns: [], pending: null };
  }
}

/** Why the library waits `info.delay` ms before the next request, as far as the page can tell. */
function whyThisDelay(info: RetryInfo, serverRetry: number | undefined): string {
  if (isHttpError(info.error) && info.error.retryAfter !== undefined) {
    return `the server's Retry-After (${info.error.retryAfter / 1000} s)`;
  }
  if (info.failures <= 1 && serverRetry !== undefined) return `the server's retry: ${serverRetry} ms, after progress`;
  if (info.delay <= 100) return 'the floor (minInterval): requests stay 100 ms apart';
  return `exponential backoff, failure ${info.failures} in a row, with jitter`;
}

export function useChat() {
  const [saved] = useState(loadChat);
  const [turns, setTurns] = useState<Turn[]>(saved.turns);
  const [answer, setAnswer] = useState(saved.pending?.text ?? '');
  /** A prompt the server refused (400, 413), handed back to the box. */
  const [refusedPrompt, setRefusedPrompt] = useState<string | null>(null);
  const pending = useRef<Pending | null>(saved.pending);
  const turnsRef = useRef(turns);
  turnsRef.current = turns;
  // From the click to the first request (the token is fetched first): Send must not go twice.
  const [sending, setSending] = useState(false);
  const serverRetry = useRef<number | undefined>(undefined);

  const persist = () =>
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify({ turns: turnsRef.current, pending: pending.current }));

  // #region library
  const chat = useEventStream((message) => {
    const current = pending.current;
    if (!current) return;
    if (message.retry !== undefined) log('event', `the server set retry: ${(serverRetry.current = message.retry)} ms`);
    if (message.event === 'answer') {
      current.answerId = (JSON.parse(message.data) as { id: string }).id;
      log('event', `answer ${current.answerId}`);
    } else if (message.event === 'error') {
      // The model failed: a throw from the handler ends the stream as failed, never retried.
      current.error = (JSON.parse(message.data) as { message: string }).message;
      throw new Error(current.error);
    } else if (message.data !== '[DONE]') {
      current.text += (JSON.parse(message.data) as { token: string }).token;
      setAnswer(current.text);
    }
    if (message.id) current.lastEventId = message.id;
    persist();
  });

  async function stream(messages: Turn[], lastEventId: string) {
    let renewedOnce = false;
    await chat.start('/api/chat', {
      method: 'POST',
      // Called before every attempt: each one sends the token we hold then (renewed when it runs
      // out), and the Last-Event-ID the library will send is known here.
      headers: async ({ attempt, lastEventId: resumeFrom }) => {
        log(
          'attempt',
          `request ${attempt}: POST /api/chat, ${resumeFrom ? `Last-Event-ID ${resumeFrom}` : 'a new answer'}`,
        );
        return { Authorization: `Bearer ${await freshToken()}`, 'Content-Type': 'application/json' };
      },
      body: JSON.stringify({ messages: messages.map(({ role, content }) => ({ role, content })) }),
      // After a reload: the server resumes this answer right after the last token we have.
      lastEventId,
      onopen: (response) => log('open', `${response.status}, served by ${response.headers.get('x-demo-instance')}`),
      onerror: (error) => {
        log('retry', `${(error as Error).name}: ${(error as Error).message}`);
        if (isHttpError(error) && error.status === 401) {
          forgetToken();
          // A token this server never signed (it restarted with a new secret): one retry, on purpose,
          // with a new token. An expired one stays fatal: a 401 is never retried in a loop.
          if (!renewedOnce && error.response.headers.get('x-token-refusal') === 'invalid token') {
            renewedOnce = true;
            return 0;
          }
        }
        return undefined;
      },
      onretry: (info) =>
        log('retry', `next request in ${Math.round(info.delay)} ms: ${whyThisDelay(info, serverRetry.current)}`),
    });
  }
  // #endregion

  const status = chat.status;
  const failure = useFailureText(status);

  // The stream ended, one way or another: the answer joins the conversation.
  useEffect(() => {
    const current = pending.current;
    const { state } = status;
    if (!current || !['done', 'stopped', 'failed'].includes(state)) return;
    if (state === 'failed' && failure === null) return; // wait for the server's reason
    log(state === 'failed' ? 'fatal' : 'end', state === 'failed' ? `failed, not retried: ${failure}` : state);
    pending.current = null;
    setAnswer('');
    // A prompt the server refused (400, 413) goes back to the box, not into the history.
    if (state === 'failed' && isHttpError(status.error) && [400, 413].includes(status.error.status)) {
      setRefusedPrompt(turnsRef.current.at(-1)?.content ?? '');
      turnsRef.current = turnsRef.current.slice(0, -1);
    } else {
      const note = current.error ?? (state === 'stopped' ? 'stopped' : state === 'failed' ? failure! : undefined);
      turnsRef.current = [...turnsRef.current, { role: 'assistant', content: current.text, ...(note ? { note } : {}) }];
    }
    setTurns(turnsRef.current);
    persist();
  }, [status, failure]);

  // A reload in the middle of an answer: resume it where it stopped.
  useEffect(() => {
    const current = pending.current;
    if (!current) return;
    log('attempt', `page loaded mid-answer: resuming after ${current.lastEventId || 'its start'}`);
    void stream(current.messages, current.lastEventId);
  }, []);

  async function send(prompt: string) {
    const messages = [...turnsRef.current, { role: 'user' as const, content: prompt }];
    turnsRef.current = messages;
    setTurns(messages);
    setAnswer('');
    setRefusedPrompt(null);
    pending.current = { messages, text: '', lastEventId: '', answerId: null };
    serverRetry.current = undefined;
    persist();
    setSending(true);
    try {
      await freshToken();
    } finally {
      setSending(false);
    }
    await stream(messages, '');
  }

  async function stop() {
    const answerId = pending.current?.answerId;
    chat.stop();
    // Aborting closes the connection; this tells the server to stop generating at once.
    if (answerId) {
      await fetch('/api/answers/stop', {
        method: 'POST',
        headers: { Authorization: `Bearer ${await freshToken()}` },
        body: JSON.stringify({ id: answerId }),
      });
    }
  }

  function clear() {
    chat.stop();
    pending.current = null;
    turnsRef.current = [];
    setTurns([]);
    setAnswer('');
    sessionStorage.removeItem(STORAGE_KEY);
  }

  return {
    turns,
    /** The answer streaming now, or null. */
    answer: pending.current || answer ? answer : null,
    status,
    failure,
    busy: chat.isActive || sending,
    refusedPrompt,
    send,
    stop,
    clear,
  };
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
