const LF = 10;
const CR = 13;

/**
 * The spec's "last event ID string", committed only when a blank line ends a block.
 *
 * https://html.spec.whatwg.org/multipage/server-sent-events.html#dispatchMessage (step 1):
 * a blank line sets the last event ID string to the `id` buffer even when the block has
 * no data, and an unterminated block never commits. eventsource-parser 3 reports ids
 * only on events with data (v4 added `onId` but needs Node ≥ 22.12), so this watches
 * lines itself: it looks only at line starts and keeps no text but an unfinished `id` line.
 */
export class LastEventIdTracker {
  /** The id to send as `Last-Event-ID`. */
  value: string;
  #blockId: string | undefined;
  /** Start of an unfinished line that may be an `id` line. */
  #partial = '';
  /** The unfinished line is not blank and not an `id` line. */
  #skipLine = false;
  /** The previous chunk ended in CR, so a leading LF completes that line break. */
  #afterCR = false;

  constructor(initial: string) {
    this.value = initial;
  }

  feed(text: string): void {
    let start = this.#afterCR && text.charCodeAt(0) === LF ? 1 : 0;
    this.#afterCR = false;
    const hasCR = text.includes('\r');
    for (;;) {
      // https://html.spec.whatwg.org/multipage/server-sent-events.html#parsing-an-event-stream:
      // lines end in CRLF, a lone LF or a lone CR.
      const end = hasCR ? lineBreak(text, start) : text.indexOf('\n', start);
      if (end === -1) break;
      this.#line(text, start, end);
      start = end + 1;
      if (text.charCodeAt(end) === CR) {
        if (start === text.length) this.#afterCR = true;
        else if (text.charCodeAt(start) === LF) start++;
      }
    }
    this.#remember(text, start);
  }

  /** Forget an unfinished line or block: the connection it came on is gone. */
  reset(): void {
    this.#blockId = undefined;
    this.#partial = '';
    this.#skipLine = false;
    this.#afterCR = false;
  }

  #line(text: string, start: number, end: number): void {
    if (this.#skipLine) {
      this.#skipLine = false;
      return;
    }
    if (this.#partial !== '') {
      const line = this.#partial + text.slice(start, end);
      this.#partial = '';
      this.#field(line, 0, line.length);
    } else {
      this.#field(text, start, end);
    }
  }

  /** One complete line, `text[start, end)`: only a blank line and an `id` line matter. */
  #field(text: string, start: number, end: number): void {
    if (start === end) {
      if (this.#blockId !== undefined) this.value = this.#blockId;
      this.#blockId = undefined;
      return;
    }
    // Most lines are `data:`: decided by one char code, with no substring made.
    if (text.charCodeAt(start) !== 105 || text.charCodeAt(start + 1) !== 100) return; // "id"
    const afterName = start + 2;
    if (afterName !== end && text.charCodeAt(afterName) !== 58) return; // "id" alone, or "id:"
    // A field without a colon has the empty string as its value; one leading space is stripped.
    const valueStart = afterName === end ? end : text.charCodeAt(afterName + 1) === 32 ? afterName + 2 : afterName + 1;
    const value = text.slice(valueStart, end);
    // If the field value does not contain U+0000 NULL, set the last event ID buffer.
    if (!value.includes('\0')) this.#blockId = value;
  }

  #remember(text: string, start: number): void {
    if (this.#skipLine || start === text.length) return;
    const candidate = this.#partial + text.slice(start, start + 3);
    if (candidate.startsWith('id:') || 'id'.startsWith(candidate)) {
      this.#partial += text.slice(start);
    } else {
      this.#partial = '';
      this.#skipLine = true;
    }
  }
}

function lineBreak(text: string, from: number): number {
  const cr = text.indexOf('\r', from);
  const lf = text.indexOf('\n', from);
  if (cr === -1) return lf;
  if (lf === -1) return cr;
  return Math.min(cr, lf);
}
