import { useEffect, useState } from 'react';

/**
 * Copies `text`. The Clipboard API exists only in secure contexts (https, localhost); on plain http
 * elsewhere the old select-and-copy path still works.
 */
async function copyText(text: string): Promise<boolean> {
  if (window.isSecureContext && navigator.clipboard !== undefined) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      // Permission refused: fall through to the selection path.
    }
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.append(area);
  area.select();
  const copied = document.execCommand('copy');
  area.remove();
  return copied;
}

/**
 * Copies `text`. `what` names what it copies, so that each copy button on a page has its own name
 * ("Copy request body"); the button shows just "Copy" unless `spelledOut`.
 */
export function CopyButton({ text, what, spelledOut = false, className = 'button' }: { text: string; what: string; spelledOut?: boolean; className?: string }) {
  const name = `Copy ${what}`;
  const [result, setResult] = useState<'copied' | 'failed' | null>(null);
  useEffect(() => {
    if (result === null) return;
    const timer = window.setTimeout(() => setResult(null), 2000);
    return () => window.clearTimeout(timer);
  }, [result]);
  return (
    <button
      type="button"
      className={className}
      onClick={async () => setResult((await copyText(text)) ? 'copied' : 'failed')}
      {...(spelledOut ? {} : { 'aria-label': name })}
    >
      {result === 'copied' ? 'Copied' : result === 'failed' ? 'Copy failed' : spelledOut ? name : 'Copy'}
      <span className="visually-hidden" role="status">
        {result === 'copied' ? 'Copied to the clipboard' : result === 'failed' ? 'Could not copy; select the text instead' : ''}
      </span>
    </button>
  );
}
