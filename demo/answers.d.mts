export interface Turn {
  role: 'user' | 'assistant';
  content: string;
}
export function answerFor(messages: Turn[]): string;
export function tokenize(text: string): string[];
