import { isHttpError } from 'fetch-eventsource';
import type { StreamStatus } from 'fetch-eventsource/react';

// The conversation and the answer being streamed, kept in sessionStorage at every token: a reload
// shows the conversation and resumes the answer where it stopped.

export interface Turn {
  role: 'user' | 'assistant';
  content: string;
  /** Why an answer ended early: stopped, failed, … */
  note?: string;
}

/** The answer being streamed. */
export interface Pending {
  messages: Turn[];
  text: string;
  /** The id of the last event received: `<answer id>:<token index>`. */
  lastEventId: string;
  answerId: string | null;
  /** The model's own failure, from an `error` event. */
  error?: string;
}

const STORAGE_KEY = 'fetch-eventsource-demo-chat';
export function loadChat(): { turns: Turn[]; pending: Pending | null } {
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

export function saveChat(turns: Turn[], pending: Pending | null): void {
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify({ turns, pending }));
}

export function forgetChat(): void {
  sessionStorage.removeItem(STORAGE_KEY);
}

/**
 * The conversation once the answer `pending` ended as `status` (`failure` says why it failed): the
 * answer joins it, with a note if it ended early; a prompt the server refused (400, 413) leaves it,
 * to go back to the box.
 */
export function settle(
  turns: Turn[],
  pending: Pending,
  status: StreamStatus,
  failure: string | null,
): { turns: Turn[]; refusedPrompt: string | null } {
  if (status.state === 'failed' && isHttpError(status.error) && [400, 413].includes(status.error.status)) {
    return { turns: turns.slice(0, -1), refusedPrompt: turns.at(-1)?.content ?? '' };
  }
  const note =
    pending.error ?? (status.state === 'stopped' ? 'stopped' : status.state === 'failed' ? (failure ?? '') : undefined);
  return {
    turns: [...turns, { role: 'assistant', content: pending.text, ...(note ? { note } : {}) }],
    refusedPrompt: null,
  };
}
