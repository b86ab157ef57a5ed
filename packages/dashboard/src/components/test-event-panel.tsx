import { useState } from 'react';
import { api, ApiError } from '../api/client.js';
import type { Endpoint, PublishResult } from '../api/types.js';
import { useCatalog } from '../catalog.js';
import { useSession } from '../session.js';
import { CodeBlock, prettyJson } from './code-block.js';
import { ErrorNotice, Notice } from './notice.js';

/** Sends the catalog example of a chosen type to this endpoint only, as a real, logged event. */
export function TestEventPanel({ endpoint }: { endpoint: Endpoint }) {
  const catalog = useCatalog();
  const { session } = useSession();
  const subscribed = endpoint.events.includes('*') ? null : endpoint.events;
  const [type, setType] = useState<string>(subscribed?.[0] ?? 'user.new');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<PublishResult | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  const types = catalog.data ?? [];
  const choices = subscribed === null ? types : types.filter((t) => subscribed.includes(t.name));
  const example = types.find((t) => t.name === type)?.example;
  // The server swaps the example's placeholder organization_id for yours, keeping the field order.
  const payload = example !== undefined && 'organization_id' in example ? { ...example, organization_id: session.organization_id } : example;

  const send = async () => {
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      setResult(await api.post<PublishResult>(`/v1/endpoints/${endpoint.id}/test`, { event: type }));
    } catch (cause) {
      setError(cause as ApiError);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card" aria-labelledby="test-title">
      <h2 id="test-title">Send a test event</h2>
      <p className="hint">
        Sends the example payload below to this webhook only, as a new event with a fresh envelope id. It is signed, retried and
        logged like any other delivery.
      </p>
      <div className="test-row">
        <div className="field field-inline">
          <label htmlFor="test-event-type">Event type</label>
          <select id="test-event-type" value={type} onChange={(e) => setType(e.target.value)}>
            {choices.map((t) => (
              <option key={t.name} value={t.name}>
                {t.name}
              </option>
            ))}
          </select>
        </div>
        <button type="button" className="button button-primary" onClick={() => void send()} disabled={busy || !endpoint.enabled || example === undefined}>
          {busy ? 'Sending…' : 'Send test event'}
        </button>
      </div>
      {!endpoint.enabled && <p className="hint">Enable the webhook to send test events.</p>}
      {result !== null && (
        <Notice tone="success" title="Test event sent">
          <code>{result.event}</code> with envelope id <code className="break">{result.id}</code>. Its delivery appears in the log below.
        </Notice>
      )}
      {error !== null && <ErrorNotice error={error} title="The test event was not sent" />}
      {payload !== undefined && <CodeBlock label={`Example payload of ${type}`} copies="example payload" code={prettyJson(payload)} />}
    </section>
  );
}
