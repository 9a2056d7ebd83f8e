import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Badge } from '../Badge.js';
import { useJson } from '../hooks.js';
import { Markdown } from './Markdown.js';
import { useChat } from './useChat.js';

const MAX_MESSAGE = 4000;
const FIRST_PROMPT = 'How do Server-Sent Events survive a dropped connection? Show me the wire format.';

export function Chat() {
  const chat = useChat();
  const [prompt, setPrompt] = useState(chat.turns.length ? '' : FIRST_PROMPT);
  const model = useJson<{ model: string }>('/api/model', { model: 'an unknown model' });
  const box = useRef<HTMLTextAreaElement>(null);
  const conversation = useRef<HTMLDivElement>(null);
  // Keep the newest words in view, unless the reader moved up to read; follow again once they are back
  // at the end. Their move up is told by their input (wheel, touch, keys, a press on the scroll bar),
  // not by scroll events: words faster than frames (a reload's replay, ~250 tokens/s) move the box
  // between a scroll and its event, so where an event finds the box says nothing of who moved it. A
  // scroll event that finds the box where this page put it is this page's own, and is passed over.
  const following = useRef(true);
  const ownTop = useRef(-1);
  const readerMovedUp = () => {
    following.current = false;
  };
  useEffect(() => {
    const box = conversation.current;
    if (!box || !following.current) return;
    box.scrollTo({ top: box.scrollHeight });
    ownTop.current = box.scrollTop;
  }, [chat.turns, chat.answer]);
  // A refused prompt comes back to the box, as it was typed.
  useEffect(() => {
    if (chat.refusedPrompt !== null) setPrompt(chat.refusedPrompt);
  }, [chat.refusedPrompt]);
  // Focus stays in the prompt: after Send, Stop or New chat, and when an answer ends, unless the reader
  // is on another control by then (a fault button, say): that one keeps it.
  useEffect(() => {
    if (chat.busy) return;
    const active = document.activeElement;
    if (!active || active === document.body || box.current?.form?.contains(active)) box.current?.focus();
  }, [chat.busy]);

  const tooLong = prompt.length > MAX_MESSAGE;

  function send(event: FormEvent) {
    event.preventDefault();
    if (chat.busy || prompt.trim() === '' || tooLong) return;
    setPrompt('');
    void chat.send(prompt);
    box.current?.focus();
  }

  return (
    <section className="card chat">
      <h2>
        Chat <Badge status={chat.status} failure={chat.failure} />
      </h2>
      <p className="hint" data-testid="model">
        Answered by {model?.model ?? '…'}
      </p>
      <div
        className="conversation"
        data-testid="conversation"
        ref={conversation}
        onWheel={(event) => {
          if (event.deltaY < 0) readerMovedUp();
        }}
        onTouchMove={readerMovedUp}
        onKeyDown={(event) => {
          if (['ArrowUp', 'PageUp', 'Home'].includes(event.key)) readerMovedUp();
        }}
        // A press on the box itself, not on its text, is on its scroll bar.
        onPointerDown={(event) => {
          if (event.target === event.currentTarget) readerMovedUp();
        }}
        onScroll={(event) => {
          const { scrollHeight, scrollTop, clientHeight } = event.currentTarget;
          if (scrollTop !== ownTop.current && scrollHeight - scrollTop - clientHeight < 40) following.current = true;
        }}
      >
        {chat.turns.map((turn, index) =>
          turn.role === 'user' ? (
            <div key={index} className="turn user" data-testid="turn-user">
              {turn.content}
            </div>
          ) : (
            <div key={index} className="turn assistant">
              <Markdown text={turn.content} testId="turn-assistant" />
              {turn.note ? <em className="note">({turn.note})</em> : null}
            </div>
          ),
        )}
        {chat.answer !== null ? (
          <div className="turn assistant streaming" aria-live="polite" aria-busy={chat.busy}>
            <Markdown text={chat.answer} testId="answer" />
          </div>
        ) : null}
      </div>
      <form onSubmit={send}>
        <textarea
          ref={box}
          aria-label="Prompt"
          value={prompt}
          onChange={(event) => setPrompt(event.target.value)}
          // Enter sends, Shift+Enter is a new line, Escape stops the answer.
          onKeyDown={(event) => {
            if (event.key === 'Enter' && !event.shiftKey) send(event);
            else if (event.key === 'Escape' && chat.busy) void chat.stop();
          }}
        />
        {/* Nothing is cut: a message past the limit stays whole in the box, and cannot be sent. */}
        <span className={`counter${tooLong ? ' over' : ''}`} data-testid="counter">
          {tooLong ? `too long: ${prompt.length} / ${MAX_MESSAGE}` : `${prompt.length} / ${MAX_MESSAGE}`}
        </span>
        <button className="primary" type="submit" disabled={chat.busy || prompt.trim() === '' || tooLong}>
          Send
        </button>
        <button
          type="button"
          onClick={() => {
            void chat.stop();
            box.current?.focus();
          }}
          disabled={!chat.busy}
        >
          Stop
        </button>
        <button
          type="button"
          onClick={() => {
            chat.clear();
            box.current?.focus();
          }}
          disabled={chat.busy}
        >
          New chat
        </button>
      </form>
    </section>
  );
}
