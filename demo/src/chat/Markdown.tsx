// An answer as markdown (paragraphs, lists, code blocks). Model output is untrusted: marked turns it
// into HTML and DOMPurify keeps only inert markup (no <script>, no onerror=, no javascript: links)
// before React puts it in the page.
import DOMPurify from 'dompurify';
import { marked } from 'marked';
import { useMemo } from 'react';

export function Markdown({ text, testId }: { text: string; testId?: string }) {
  const html = useMemo(() => DOMPurify.sanitize(marked.parse(text, { async: false })), [text]);
  // `data-text`: the text as streamed, for tests that count tokens.
  return <div className="markdown" data-testid={testId} data-text={text} dangerouslySetInnerHTML={{ __html: html }} />;
}
