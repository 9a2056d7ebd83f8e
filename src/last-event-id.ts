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

  /**
   * Takes a chunk the parser has just read, given how many events it dispatched from it and
   * the last event id those events left. Most chunks need no look at every line:
   * - no `id` line starts in it and none is pending: nothing can be committed (streams without ids);
   * - it ended as many blocks as there were events: every block had data, so the parser's ids
   *   are exact and only the unfinished block after the last blank line needs watching.
   */
  afterParse(text: string, events: number, idFromEvents: string): void {
    if (this.#afterCR || text.includes('\r')) return this.feed(text);
    const lastBreak = text.lastIndexOf('\n');
    // No line ends here (a chunk inside a long line): only the unfinished line grows.
    if (lastBreak === -1) return this.#remember(text, 0);
    const atLineStart = this.#partial === '' && !this.#skipLine;
    const idMayStart = this.#partial !== '' || text.includes('\nid') || (atLineStart && text.startsWith('id'));
    if (!idMayStart && this.#blockId === undefined) return this.#keepLastLine(text, lastBreak);
    const { blocks, tail } = this.#blockEnds(text, atLineStart);
    if (blocks !== events) return this.feed(text);
    if (blocks === 0) return idMayStart ? this.feed(text) : this.#keepLastLine(text, lastBreak);
    this.value = idFromEvents;
    this.reset();
    this.#scan(text, tail, false);
  }

  /** Every complete line of `text` is known not to matter: keep only its unfinished last line. */
  #keepLastLine(text: string, lastBreak: number): void {
    this.#partial = '';
    this.#skipLine = false;
    this.#remember(text, lastBreak + 1);
  }

  /** Watches every line of `text`. */
  feed(text: string): void {
    const start = this.#afterCR && text.charCodeAt(0) === LF ? 1 : 0;
    this.#afterCR = false;
    this.#scan(text, start, text.includes('\r'));
  }

  /** How many blank lines `text` (LF line ends only) has, and where the block after the last one starts. */
  #blockEnds(text: string, atLineStart: boolean): { blocks: number; tail: number } {
    let blocks = 0;
    let tail = -1;
    if (atLineStart && text.charCodeAt(0) === LF) {
      blocks = 1;
      tail = 1;
    }
    for (let at = text.indexOf('\n\n'); at !== -1; at = text.indexOf('\n\n', at + 1)) {
      blocks += 1;
      tail = at + 2;
    }
    return { blocks, tail };
  }

  #scan(text: string, start: number, hasCR: boolean): void {
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
