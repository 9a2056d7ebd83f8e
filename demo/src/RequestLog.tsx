import type { LoggedRequest } from './server-log.js';

export function RequestLog({ entries }: { entries: LoggedRequest[] }) {
  return (
    <section className="card">
      <h2>Requests the server saw</h2>
      <div className="log">
        <table data-testid="request-log">
          <thead>
            <tr>
              <th>#</th>
              <th>instance</th>
              <th>request</th>
              <th>Last-Event-ID</th>
              <th>status</th>
              <th>what happened</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((entry) => (
              <tr key={entry.n}>
                <td>{entry.n}</td>
                <td>{entry.instance}</td>
                <td>
                  {entry.method} {entry.path}
                </td>
                <td>{entry.lastEventId ?? '—'}</td>
                <td>{entry.status}</td>
                <td>{entry.note}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
