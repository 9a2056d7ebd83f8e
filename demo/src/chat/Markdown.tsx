// An answer as markdown (paragraphs, lists, code blocks). Model output is untrusted: HTML in it is
// shown as text (a model quoting `<img src=x>` shows those characters, and the page fetches nothing,
// once or on every token), marked turns the markdown into HTML, and DOMPurify keeps only inert markup
// (no <script>, no onerror=, no javascript: links) before React puts it in the page.
import DOMPurify from 'dompurify';
import { Marked } from 'marked';
import { useMemo } from 'react';

const escaped = (text: string) => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
const markdown = new Marked({ renderer: { html: ({ text }) => escaped(text) } });

export function Markdown({ text, testId }: { text: string; testId?: string }) {
  const html = useMemo(() => DOMPurify.sanitize(markdown.parse(text, { async: false })), [text]);
  // `data-text`: the text as streamed, for tests that count tokens.
  return <div className="markdown" data-testid={testId} data-text={text} dangerouslySetInnerHTML={{ __html: html }} />;
}
