// The calls into the library that stream the chat's answers, and what the library decided, for the
// timeline. The page's code panel shows this file's marked region, as it is.
import { isHttpError, type RetryInfo } from 'fetch-eventsource';
import { useEventStream } from 'fetch-eventsource/react';
import { useRef, type RefObject } from 'react';
import { addToTimeline } from '../decisions.js';
import { authorized, expireToken } from '../token.js';
import type { Pending, Turn } from './saved.js';

const log = (kind: Parameters<typeof addToTimeline>[1], text: string) => addToTimeline('chat', kind, text);

/** What the library says it waits for, and why (`RetryInfo.reason`), in the timeline's words. */
function whyThisWait(info: RetryInfo, serverRetry: number | undefined): string {
  const jitter = info.jitter >= 1 ? `, + ${Math.round(info.jitter)} ms jitter` : '';
  switch (info.reason) {
    case 'offline':
      return 'waiting for the network to come back';
    case 'hidden':
      return 'waiting for the page to be shown';
    case 'server-retry':
      return `next request in ${Math.round(info.delay)} ms: the server's retry: ${serverRetry} ms, after progress${jitter}`;
    case 'retry-after': {
      const asked = isHttpError(info.error) ? ` (${(info.error.retryAfter ?? 0) / 1000} s)` : '';
      return `next request in ${Math.round(info.delay)} ms: the server's Retry-After${asked}${jitter}`;
    }
    case 'onerror':
      return `next request in ${Math.round(info.delay)} ms: this page's onerror asked for it`;
    case 'min-interval':
      return `next request in ${Math.round(info.delay)} ms: the floor (minInterval), requests stay 100 ms apart`;
    case 'backoff':
      return `next request in ${Math.round(info.delay)} ms: exponential backoff, step ${info.step}${jitter}`;
  }
}

/**
 * Streams answers into `pending.current` (`onUpdate` after each event): `stream(messages,
 * lastEventId)` starts one, or resumes one after `lastEventId`.
 */
export function useAnswerStream(pending: RefObject<Pending | null>, onUpdate: (current: Pending) => void) {
  // The server's latest `retry:`, to name it when the library says it waits for it.
  const serverRetry = useRef<number | undefined>(undefined);

  // #region library
  const chat = useEventStream((message) => {
    const current = pending.current;
    if (!current) return;
    if (message.retry !== undefined) log('event', `the server set retry: ${(serverRetry.current = message.retry)} ms`);
    if (message.event === 'answer') {
      current.answerId = (JSON.parse(message.data) as { id: string }).id;
      log('event', `answer ${current.answerId}`);
    } else if (message.event === 'error') {
      // The model failed, or the server's store stopped the answer itself: it says which. A throw from
      // the handler ends the stream as failed, never retried.
      const { error, message: said } = JSON.parse(message.data) as { error?: string; message: string };
      current.error =
        error === 'StreamAbandonedError'
          ? 'abandoned (nobody was reading it, so the server stopped generating it)'
          : said;
      throw new Error(current.error);
    } else if (message.data !== '[DONE]') {
      current.text += (JSON.parse(message.data) as { token: string }).token;
    }
    if (message.id) current.lastEventId = message.id;
    onUpdate(current);
  });

  async function stream(messages: Turn[], lastEventId: string) {
    if (!lastEventId) serverRetry.current = undefined;
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
        return authorized({ 'Content-Type': 'application/json' });
      },
      body: JSON.stringify({ messages: messages.map(({ role, content }) => ({ role, content })) }),
      // After a reload: the server resumes this answer right after the last token we have.
      lastEventId,
      onopen: (response) => log('open', `${response.status}, served by ${response.headers.get('x-demo-instance')}`),
      onerror: (error) => {
        log('retry', `${(error as Error).name}: ${(error as Error).message}`);
        if (isHttpError(error) && error.status === 401) {
          expireToken();
          // A token this server never signed (it restarted with a new secret): one retry, on purpose,
          // with a new token. An expired one stays fatal: a 401 is never retried in a loop.
          if (!renewedOnce && error.response.headers.get('x-token-refusal') === 'invalid token') {
            renewedOnce = true;
            return 0;
          }
        }
        return undefined;
      },
      onretry: (info) => log('retry', whyThisWait(info, serverRetry.current)),
    });
  }
  // #endregion

  return { chat, stream };
}
