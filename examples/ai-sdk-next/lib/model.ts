// A canned model, so the example runs with no API key: its answer to a prompt, word by word. With a
// provider, the route returns `streamText({ model, messages, abortSignal }).toUIMessageStream()`.
import { createUIMessageStream } from 'ai';

export function cannedAnswerText(prompt: string): string {
  const words = Array.from({ length: 120 }, (_, n) => `word${n + 1}`);
  return `You said "${prompt}". ${words.join(' ')}.`;
}

export function cannedModel(prompt: string, signal: AbortSignal, pace = 15) {
  return createUIMessageStream({
    execute: async ({ writer }) => {
      writer.write({ type: 'text-start', id: 'answer' });
      for (const word of cannedAnswerText(prompt).split(/(?<= )/)) {
        if (signal.aborted) break;
        await new Promise((resolve) => setTimeout(resolve, pace));
        writer.write({ type: 'text-delta', id: 'answer', delta: word });
      }
      writer.write({ type: 'text-end', id: 'answer' });
    },
  });
}
