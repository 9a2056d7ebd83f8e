export interface LoggedRequest {
  n: number;
  /** Which server instance served it (INSTANCE; "demo" by default). */
  instance: string;
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
  /** Milliseconds a token lasts. @default 600000 */
  tokenLifetime?: number;
  /** Milliseconds an answer goes on generating with nobody connected. @default 15000 */
  grace?: number;
  /** Keeps the answers in this Redis, shared by every instance that uses it. @default process.env.REDIS_URL */
  redisUrl?: string | undefined;
  /** This instance's name in the request log. @default process.env.INSTANCE ?? "demo" */
  instance?: string;
  /** What tokens are signed with: instances that share it accept each other's tokens. @default process.env.DEMO_SECRET, else random */
  secret?: string;
}): Promise<DemoServer>;
