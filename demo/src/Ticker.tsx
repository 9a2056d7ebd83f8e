import { useEventStream } from 'fetch-eventsource/react';
import { useEffect, useState } from 'react';
import { Badge } from './Badge.js';
import { usePageHidden } from './hooks.js';
import { addToTimeline } from './decisions.js';

/** A GET stream: it pauses while the tab is hidden and resumes with Last-Event-ID. */
export function Ticker() {
  const [ticks, setTicks] = useState<string[]>([]);
  const hidden = usePageHidden();
  const feed = useEventStream((message) => {
    const { n, time } = JSON.parse(message.data) as { n: number; time: string };
    setTicks((list) => [`#${n} at ${time.slice(11, 19)}`, ...list].slice(0, 5));
  });
  const running = feed.isActive;
  useEffect(() => {
    if (running && hidden) addToTimeline('ticker', 'pause', 'tab hidden: the GET is aborted, nothing is lost');
  }, [running, hidden]);
  const start = () =>
    void feed.start('/api/feed', {
      reconnectOnClose: true,
      headers: ({ attempt, lastEventId }) => {
        addToTimeline(
          'ticker',
          'attempt',
          `request ${attempt}: GET /api/feed${lastEventId ? `, Last-Event-ID ${lastEventId}` : ''}`,
        );
        return {};
      },
    });
  return (
    <section className="card">
      <h2>
        Ticker (GET) <Badge status={feed.status} paused={hidden && running} />
      </h2>
      <button onClick={() => (running ? feed.stop() : start())}>
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
