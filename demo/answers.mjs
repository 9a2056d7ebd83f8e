// @ts-check
// The built-in canned model: the demo streams one of these answers token by token, as an LLM API
// would. The answer depends on the whole conversation, so every turn reads differently.

const answers = [
  [
    'Server-Sent Events are a one-way channel from a server to a client over plain HTTP.',
    'The server keeps the response open and writes events as lines of text: a data field, an optional id and event type, and a blank line to end each one.',
    'Because every event can carry an id, a client that loses its connection can reconnect with Last-Event-ID and the server can resume exactly where it stopped, so nothing is lost and nothing is repeated.',
    'On the wire, two tokens of this answer look like this:\n\n```text\nid: 3f9a:41\ndata: {"token":" nothing"}\n\nid: 3f9a:42\ndata: {"token":" lost"}\n```',
  ],
  [
    'Streaming an answer token by token makes a slow model feel fast: the first words arrive in a fraction of a second instead of after the whole reply is ready.',
    'The browser reads the response body as a stream, decodes it, splits it into events and hands each token to the page as soon as it lands.',
    'When the network drops in the middle, the client waits a moment, asks again with the id of the last token it saw, and the answer simply carries on.',
    'The reconnect is the same request again, with one more header:\n\n```http\nPOST /api/chat\nAuthorization: Bearer …\nLast-Event-ID: 3f9a:42\n```',
  ],
];

/** @typedef {{ role: 'user' | 'assistant', content: string }} Turn */

/**
 * The answer to the last user message of `messages`: the same conversation always gets the same
 * answer. It quotes the question, so whatever a user types comes back in model output (the page
 * must render it inert).
 * @param {Turn[]} messages
 * @returns {string}
 */
export function answerFor(messages) {
  const asked = messages.filter((message) => message.role === 'user').map((message) => message.content.trim());
  const prompt = asked.at(-1) || 'nothing';
  let hash = asked.length;
  for (const char of prompt) hash = (hash * 31 + (char.codePointAt(0) ?? 0)) >>> 0;
  const paragraphs = answers[hash % answers.length] ?? [];
  const context =
    asked.length > 1 ? `That is question ${asked.length} of this chat; before it you asked “${asked.at(-2)}”.` : null;
  return [`You asked: “${prompt}”.`, context, ...paragraphs].filter(Boolean).join('\n\n');
}

/**
 * Splits text into word tokens that keep their leading whitespace, so joining them gives the text back.
 * @param {string} text
 * @returns {string[]}
 */
export function tokenize(text) {
  return text.match(/\s*\S+/g) ?? [];
}
