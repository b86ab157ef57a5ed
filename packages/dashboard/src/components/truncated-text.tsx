/** How many characters of the end stay visible: the last segment of a URL path, usually. */
const TAIL = 12;

/**
 * A long value (a 465-character URL) on one line, shortened in the middle when it does not fit, so
 * that its start (the host) and its end stay visible; the whole value is the title, shown on hover.
 * The visible halves are two boxes, which a screen reader would read with a space between them, so
 * they are hidden from it and the whole value is there once more for it (and for a selection) alone.
 */
export function MiddleTruncated({ text, className }: { text: string; className?: string }) {
  const tail = Math.min(TAIL, Math.floor(text.length / 2));
  return (
    <span className={className === undefined ? 'truncate-middle' : `truncate-middle ${className}`} title={text} data-truncated-text="">
      <span className="visually-hidden">{text}</span>
      <span className="truncate-head" aria-hidden="true">
        {text.slice(0, text.length - tail)}
      </span>
      <span className="truncate-tail" aria-hidden="true">
        {text.slice(text.length - tail)}
      </span>
    </span>
  );
}
