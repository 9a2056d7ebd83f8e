export interface DemoServer {
  url: string;
  requests: Array<{ n: number; method: string; path: string; lastEventId: string | null; status: number }>;
  faults: { drop: boolean; unavailable: boolean; slow: boolean };
  close(): Promise<void>;
}
export function startDemoServer(options?: {
  port?: number;
  host?: string;
  log?: (...args: unknown[]) => void;
}): Promise<DemoServer>;
