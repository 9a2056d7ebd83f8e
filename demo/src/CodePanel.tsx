import { useJson } from './hooks.js';

/** The lines of the page that call the library, as the server reads them from the source. */
export function CodePanel() {
  const source = useJson<{ file: string; code: string }>('/api/code', { file: '', code: '' });
  return (
    <section className="card">
      <details>
        <summary>
          <h2>The code that drives the chat</h2>
        </summary>
        <p className="hint">
          From <code>{source?.file}</code>: <code>useEventStream</code> and the options of each <code>start</code>.
        </p>
        <pre className="code" data-testid="code">
          <code>{source?.code}</code>
        </pre>
      </details>
    </section>
  );
}
