import { spawn, type ChildProcess } from 'node:child_process';

/**
 * A server fixture (`test/fixtures/*.mjs`) in a process of its own, on the running Node, with `env`;
 * resolves once it prints `listening <port>`. The caller kills `child`.
 */
export async function startServerProcess(
  fixture: string,
  env: Record<string, string>,
): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [fixture], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      const match = /listening (\d+)/.exec(String(chunk));
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, child };
}
