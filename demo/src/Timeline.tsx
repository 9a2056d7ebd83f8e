import { useTimeline } from './decisions.js';

/** What the library decided, newest first, beside what the server saw. */
export function Timeline() {
  const entries = useTimeline();
  return (
    <section className="card">
      <h2>What the library decided</h2>
      <ol className="timeline" data-testid="timeline">
        {entries.map((entry) => (
          <li key={entry.n} className={entry.kind}>
            <time>{entry.time}</time> <span className="stream">{entry.stream}</span> {entry.text}
          </li>
        ))}
      </ol>
    </section>
  );
}
