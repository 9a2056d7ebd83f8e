export function answerFor(prompt: string): string;
export function tokenize(text: string): string[];
