// The chat's state: the turns, the answer being streamed (kept in sessionStorage at every token, so
// a reload resumes it), and the actions of the page (send, stop, clear). The stream itself is in
// useAnswerStream.ts.
import { useEffect, useRef, useState } from 'react';
import { addToTimeline } from '../decisions.js';
import { freshToken, postWithToken } from '../token.js';
import { useFailureText } from './failure.js';
import { forgetChat, loadChat, saveChat, settle, type Pending, type Turn } from './saved.js';
import { useAnswerStream } from './useAnswerStream.js';

export type { Turn };

const log = (kind: Parameters<typeof addToTimeline>[1], text: string) => addToTimeline('chat', kind, text);

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

  const persist = () => saveChat(turnsRef.current, pending.current);

  const { chat, stream } = useAnswerStream(pending, (current) => {
    setAnswer(current.text);
    persist();
  });

  const status = chat.status;
  const failure = useFailureText(status);

  // The stream ended, one way or another: the answer joins the conversation.
  useEffect(() => {
    const current = pending.current;
    const { state } = status;
    if (!current || !['done', 'stopped', 'failed'].includes(state)) return;
    if (state === 'failed' && failure === null) return; // wait for the server's reason
    if (state !== 'failed') log('end', state);
    // An error event is the server's ending (the model failed, the answer was abandoned): the
    // page's handler ends the stream on it. Anything else that failed is the library's decision.
    else if (current.error !== undefined)
      log('end', `the server ended the answer with an error event: ${current.error}`);
    else log('fatal', `failed, not retried: ${failure}`);
    pending.current = null;
    setAnswer('');
    const settled = settle(turnsRef.current, current, status, failure);
    turnsRef.current = settled.turns;
    setRefusedPrompt(settled.refusedPrompt);
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
    // (After "Expire the token", a new token is a new session, which may not stop the old one's
    // answer: the server then stops it once nobody reads it.)
    if (answerId) await postWithToken('/api/answers/stop', { id: answerId });
  }

  function clear() {
    chat.stop();
    pending.current = null;
    turnsRef.current = [];
    setTurns([]);
    setAnswer('');
    forgetChat();
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
