// GET /api/chat/[id]/stream: the AI SDK's resume route (with Last-Event-ID: the rest of that answer;
// without: the chat's running answer, 204 when none runs). DELETE: stops the answer on the server.
import { answers } from '../../../../../lib/answers';

type Context = { params: Promise<{ id: string }> };

export async function GET(request: Request, { params }: Context) {
  return answers().resume(request, (await params).id);
}

export async function DELETE(request: Request, { params }: Context) {
  return answers().stop(request, (await params).id);
}
