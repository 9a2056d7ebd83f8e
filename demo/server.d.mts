export interface LoggedRequest {
  n: number;
  time: string;
  /** '' for a note about an answer rather than a request. */
  method: string;
  path: string;
  lastEventId?: string | null;
  status: number | '';
  note: string;
}
export interface DemoServer {
  url: string;
  requests: LoggedRequest[];
  faults: { drop: boolean; unavailable: boolean; slow: boolean };
  close(): Promise<void>;
}
export const MAX_MESSAGE: number;
export function startDemoServer(options?: {
  port?: number;
  host?: string;
  log?: (...args: unknown[]) => void;
  /** An OpenAI-compatible API to proxy instead of the canned model. */
  upstream?: { baseUrl: string; apiKey?: string; model: string } | undefined;
  /** Milliseconds between two words of the canned model. @default 35 */
  pace?: number;
}): Promise<DemoServer>;
