/**
 * `fetch-eventsource/ai-sdk`: the AI SDK's chat on this library, both halves. The client's
 * `FetchEventSourceChatTransport` for `useChat`, and the route helpers that store an answer in a
 * `fetch-eventsource/server` store so it can be resumed. `ai` is an optional peer dependency; the
 * main entry never imports this file, and the library is imported by its package name (one copy).
 */
export { FetchEventSourceChatTransport } from './ai-sdk/transport.js';
export type { ChatStreamOptions, FetchEventSourceChatTransportOptions } from './ai-sdk/transport.js';
export { chatAnswers } from './ai-sdk/routes.js';
export type { ChatAnswer, ChatAnswersOptions } from './ai-sdk/routes.js';
