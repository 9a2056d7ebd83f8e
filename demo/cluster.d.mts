export function startRoundRobinProxy(
  targets: string[],
  options?: { port?: number; host?: string },
): Promise<{ url: string; close(): Promise<void> }>;
