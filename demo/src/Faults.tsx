import type { FaultState } from './server-log.js';
import { postWithToken } from './token.js';

const buttons = [
  { name: 'drop', label: 'Drop the connection', armed: (f: FaultState) => f.drop, state: 'armed' },
  {
    name: 'unavailable',
    label: 'Next request: 503 + Retry-After',
    armed: (f: FaultState) => f.unavailable,
    state: 'armed',
  },
  { name: 'expire', label: 'Expire the token', armed: () => false, state: '' },
  { name: 'slow', label: 'Slow mode', armed: (f: FaultState) => f.slow, state: 'on' },
] as const;

/** The "Break it" buttons; each shows its state as the server reports it (armed, on). */
export function Faults({ faults }: { faults: FaultState }) {
  const trigger = async (fault: string) => void (await postWithToken('/api/faults', { fault }));
  return (
    <section className="card">
      <h2>Break it</h2>
      <div className="faults">
        {buttons.map(({ name, label, armed, state }) => (
          <button
            key={name}
            aria-pressed={name === 'expire' ? undefined : armed(faults)}
            className={armed(faults) ? 'armed' : undefined}
            onClick={() => void trigger(name)}
          >
            {label}
            {armed(faults) ? <span className="state"> · {state}</span> : null}
          </button>
        ))}
      </div>
      <p className="hint">
        Drop cuts the answer mid-stream (or the next one): the client reconnects with Last-Event-ID and the server
        resumes after the last token. Reload mid-answer: it goes on where it stopped. Stop ends the answer on the server
        too. An expired token gets one 401 and no retry loop.
      </p>
    </section>
  );
}
