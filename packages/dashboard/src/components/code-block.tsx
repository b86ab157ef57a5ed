import { CopyButton } from './copy-button.js';

/**
 * Preformatted text with a copy button, scrolling sideways rather than breaking the layout on a phone.
 * `copies` names the content for its copy button ("request body"), distinct on each page.
 */
export function CodeBlock({ code, label, copies, testId }: { code: string; label: string; copies: string; testId?: string }) {
  return (
    <div className="code-block">
      <div className="code-block-bar">
        <span className="code-block-label">{label}</span>
        <CopyButton text={code} what={copies} className="button button-small button-ghost" />
      </div>
      <pre tabIndex={0} aria-label={label} data-testid={testId}>
        <code>{code}</code>
      </pre>
    </div>
  );
}

export function prettyJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

/** A response body as text, pretty-printed when it is JSON. */
export function prettyBody(body: string): string {
  try {
    return prettyJson(JSON.parse(body));
  } catch {
    return body;
  }
}
