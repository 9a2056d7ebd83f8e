// What the page says of a failed answer.
import { isHttpError } from 'fetch-eventsource';
import type { StreamStatus } from 'fetch-eventsource/react';
import { useEffect, useState } from 'react';

/** "401 Unauthorized: token expired": the status and the server's own JSON error; null until known. */
export function useFailureText(status: StreamStatus): string | null {
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
