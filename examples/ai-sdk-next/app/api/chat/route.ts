// POST /api/chat: starts the chat's answer (the model runs once, whoever is connected) and streams it
// with ids, so the transport can resume it after a drop.
import type { UIMessage } from 'ai';
import { answers } from '../../../lib/answers';
import { cannedModel } from '../../../lib/model';

export async function POST(request: Request) {
  let body: { id?: unknown; messages?: UIMessage[] };
  try {
    body = (await request.json()) as typeof body;
  } catch {
    return Response.json({ error: 'the body is not JSON' }, { status: 400 });
  }
  const last = body.messages?.at(-1);
  const prompt = last?.parts.map((part) => (part.type === 'text' ? part.text : '')).join('') ?? '';
  if (typeof body.id !== 'string' || !prompt.trim()) {
    return Response.json({ error: 'expected { id, messages } ending with a user message' }, { status: 400 });
  }
  return answers().respond(request, body.id, (signal) => cannedModel(prompt, signal));
}
