// Canned answers: the demo streams one of these token by token, as an LLM API would.

const answers = [
  [
    'Server-Sent Events are a one-way channel from a server to a client over plain HTTP.',
    'The server keeps the response open and writes events as lines of text: a data field, an optional id and event type, and a blank line to end each one.',
    'Because every event can carry an id, a client that loses its connection can reconnect with Last-Event-ID and the server can resume exactly where it stopped, so nothing is lost and nothing is repeated.',
  ],
  [
    'Streaming an answer token by token makes a slow model feel fast: the first words arrive in a fraction of a second instead of after the whole reply is ready.',
    'The browser reads the response body as a stream, decodes it, splits it into events and hands each token to the page as soon as it lands.',
    'When the network drops in the middle, the client waits a moment, asks again with the id of the last token it saw, and the answer simply carries on.',
  ],
];

/** The answer for a prompt: the same prompt always gets the same answer. */
export function answerFor(prompt) {
  let hash = 0;
  for (const char of prompt) hash = (hash * 31 + char.codePointAt(0)) >>> 0;
  const paragraphs = answers[hash % answers.length];
  return [`You asked: “${prompt.trim() || 'nothing'}”.`, ...paragraphs].join('\n\n');
}

/** Splits text into word tokens that keep their leading whitespace, so joining them gives the text back. */
export function tokenize(text) {
  return text.match(/\s*\S+/g) ?? [];
}
