import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { api, ApiError } from '../api/client.js';
import type { Endpoint, EventType } from '../api/types.js';
import { groupEventTypes, useCatalog } from '../catalog.js';
import { ErrorNotice, Loading, Notice } from '../components/notice.js';
import { PageHeader } from '../components/page-header.js';
import { navigate } from '../router.js';
import { useResource } from '../use-resource.js';
import { useTitle } from '../use-title.js';
import { useUrlCheck } from '../use-url-check.js';
import { NotFoundPage } from './not-found-page.js';

interface FormErrors {
  url?: string;
  events?: string;
  description?: string;
  rate_limit?: string;
  retry_schedule?: string;
  timeout?: string;
  form?: string;
}

type SettingField = 'rate_limit' | 'retry_schedule' | 'timeout';

/** The delivery settings fields as typed: empty leaves the server's setting. */
interface SettingsInput {
  rate_limit: string;
  retry_schedule: string;
  timeout: string;
}

function settingsInput(endpoint: Endpoint | undefined): SettingsInput {
  return {
    rate_limit: endpoint?.rate_limit == null ? '' : String(endpoint.rate_limit),
    retry_schedule: endpoint?.retry_schedule == null ? '' : endpoint.retry_schedule.length === 0 ? 'none' : endpoint.retry_schedule.join(', '),
    timeout: endpoint?.timeout == null ? '' : String(endpoint.timeout),
  };
}

/** The settings as the API takes them, or the first field that does not read, with why. */
function parseSettings(input: SettingsInput):
  | { ok: true; body: { rate_limit: number | null; retry_schedule: number[] | null; timeout: number | null } }
  | { ok: false; field: SettingField; message: string } {
  const rate = input.rate_limit.trim();
  if (rate !== '' && !/^[1-9]\d*$/.test(rate)) return { ok: false, field: 'rate_limit', message: 'Enter a whole number of deliveries per second, 1 or more, or leave it empty for no limit.' };
  const schedule = input.retry_schedule.trim();
  const delays = schedule === '' || schedule.toLowerCase() === 'none' ? [] : schedule.split(/[\s,]+/).filter((d) => d !== '');
  if (delays.some((d) => !/^\d+(\.\d+)?$/.test(d))) {
    return { ok: false, field: 'retry_schedule', message: 'Enter delays in seconds separated by commas, such as 5, 30, 300, or "none" for no retries.' };
  }
  const timeout = input.timeout.trim();
  if (timeout !== '' && (!/^\d+(\.\d+)?$/.test(timeout) || Number(timeout) <= 0)) return { ok: false, field: 'timeout', message: 'Enter a number of seconds above 0, or leave it empty.' };
  return {
    ok: true,
    body: {
      rate_limit: rate === '' ? null : Number(rate),
      retry_schedule: schedule === '' ? null : delays.map(Number),
      timeout: timeout === '' ? null : Number(timeout),
    },
  };
}

/** Add a webhook (no `endpointId`) or edit one. */
export function WebhookFormPage({ endpointId }: { endpointId?: string }) {
  const editing = endpointId !== undefined;
  const catalog = useCatalog();
  const existing = useResource(editing ? `endpoint:${endpointId}` : null, () => api.get<Endpoint>(`/v1/endpoints/${endpointId}`));
  useTitle(existing.error?.notFound ? 'Not found' : editing ? 'Edit webhook' : 'Add webhook');

  if (existing.error?.notFound) return <NotFoundPage lead="There is no webhook at this address. It may have been deleted." />;
  const failed =
    catalog.error !== undefined
      ? { ...catalog, what: 'the event catalog' }
      : existing.error !== undefined
        ? { ...existing, what: 'this webhook' }
        : null;
  if (failed?.error !== undefined) {
    return (
      <>
        <PageHeader title={editing ? 'Edit webhook' : 'Add webhook'} back={{ to: '/webhooks', label: 'Webhooks' }} />
        <ErrorNotice error={failed.error} title={`Could not load ${failed.what}`} onRetry={failed.reload} />
      </>
    );
  }
  if (catalog.data === undefined || (editing && existing.data === undefined)) return <Loading what="the form" />;
  return <WebhookForm catalog={catalog.data} {...(existing.data !== undefined ? { endpoint: existing.data } : {})} />;
}

function WebhookForm({ catalog, endpoint }: { catalog: EventType[]; endpoint?: Endpoint }) {
  const [url, setUrl] = useState(endpoint?.url ?? '');
  const [description, setDescription] = useState(endpoint?.description ?? '');
  const [allEvents, setAllEvents] = useState(endpoint?.events.includes('*') ?? false);
  const [selected, setSelected] = useState<Set<string>>(() => new Set(endpoint?.events.filter((e) => e !== '*') ?? []));
  const [settings, setSettings] = useState<SettingsInput>(() => settingsInput(endpoint));
  const [errors, setErrors] = useState<FormErrors>({});
  const [busy, setBusy] = useState(false);
  const urlCheck = useUrlCheck(url, endpoint?.url);
  const urlRef = useRef<HTMLInputElement>(null);
  const eventsRef = useRef<HTMLFieldSetElement>(null);

  const toggle = (names: readonly string[], on: boolean) => {
    setSelected((current) => {
      const next = new Set(current);
      for (const name of names) {
        if (on) next.add(name);
        else next.delete(name);
      }
      return next;
    });
    setErrors((e) => ({ ...e, events: undefined }));
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const found: FormErrors = {};
    if (url.trim() === '') found.url = 'Enter the URL that should receive the webhooks.';
    else if (urlCheck.state === 'invalid') found.url = urlCheck.message;
    if (!allEvents && selected.size === 0) found.events = 'Choose at least one event, or "All events".';
    const parsed = parseSettings(settings);
    if (!parsed.ok) found[parsed.field] = parsed.message;
    setErrors(found);
    if (found.url !== undefined) return urlRef.current?.focus();
    if (found.events !== undefined) return eventsRef.current?.querySelector('input')?.focus();
    if (!parsed.ok) return document.getElementById(parsed.field)?.focus();

    const body = {
      url: url.trim(),
      description: description.trim(),
      // Keep the catalog's order so the saved list reads like the form.
      events: allEvents ? ['*'] : catalog.map((t) => t.name).filter((name) => selected.has(name)),
      ...parsed.body,
    };
    setBusy(true);
    try {
      if (endpoint === undefined) {
        const created = await api.post<Endpoint>('/v1/endpoints', body);
        navigate(`/webhooks/${created.id}?created=1`);
      } else {
        await api.patch<Endpoint>(`/v1/endpoints/${endpoint.id}`, body);
        navigate(`/webhooks/${endpoint.id}`);
      }
    } catch (cause) {
      setBusy(false);
      const error = cause instanceof ApiError ? cause : new ApiError(0, 'client_error', String(cause));
      const field = error.field?.startsWith('events') ? 'events' : error.field;
      if (field === 'url' || field === 'events' || field === 'description') setErrors({ [field]: error.message });
      else if (field?.startsWith('rate_limit') || field?.startsWith('retry_schedule') || field?.startsWith('timeout')) {
        setErrors({ [field.replace(/\[.*$/, '') as SettingField]: error.message });
      }
      else setErrors({ form: error.message });
    }
  };

  const title = endpoint === undefined ? 'Add webhook' : 'Edit webhook';
  const back = endpoint === undefined ? { to: '/webhooks', label: 'Webhooks' } : { to: `/webhooks/${endpoint.id}`, label: 'Webhook' };
  const urlMessage = errors.url ?? (urlCheck.state === 'invalid' ? urlCheck.message : undefined);

  return (
    <>
      <PageHeader title={title} back={back} lead="Herald POSTs each subscribed event to this URL as JSON, signed with the webhook's secret." />
      <form className="form" onSubmit={submit} noValidate aria-label={title}>
        {errors.form !== undefined && <Notice tone="error" title="Not saved">{errors.form}</Notice>}
        <div className="field">
          <label htmlFor="url">Endpoint URL</label>
          <input
            ref={urlRef}
            id="url"
            name="url"
            type="url"
            inputMode="url"
            autoComplete="off"
            spellCheck={false}
            placeholder="https://example.com/webhooks"
            value={url}
            onChange={(e) => {
              setUrl(e.target.value);
              setErrors((x) => ({ ...x, url: undefined }));
            }}
            aria-invalid={urlMessage !== undefined}
            aria-describedby="url-hint url-status"
            required
          />
          <p id="url-hint" className="hint">
            An <code>https://</code> URL on your server. Herald does not follow redirects.
          </p>
          <p id="url-status" className={urlMessage !== undefined ? 'field-error' : 'field-ok'} aria-live="polite">
            {urlMessage ?? (urlCheck.state === 'checking' ? 'Checking…' : urlCheck.state === 'valid' ? '✓ Herald accepts this URL.' : '')}
          </p>
        </div>

        <div className="field">
          <label htmlFor="description">
            Description <span className="optional">(optional)</span>
          </label>
          <input
            id="description"
            name="description"
            type="text"
            maxLength={500}
            placeholder="CRM sync"
            value={description}
            onChange={(e) => setDescription(e.target.value)}
            aria-describedby={errors.description !== undefined ? 'description-hint description-error' : 'description-hint'}
          />
          <p id="description-hint" className="hint">
            For you and your team: what this webhook feeds.
          </p>
          {errors.description !== undefined && (
            <p id="description-error" className="field-error">
              {errors.description}
            </p>
          )}
        </div>

        <fieldset className="field events-field" ref={eventsRef} aria-describedby={errors.events !== undefined ? 'events-error' : undefined}>
          <legend>Events to send</legend>
          <div className="choice-row">
            <label className="choice">
              <input type="radio" name="event-mode" checked={!allEvents} onChange={() => setAllEvents(false)} />
              <span>Only the events I choose</span>
            </label>
            <label className="choice">
              <input type="radio" name="event-mode" checked={allEvents} onChange={() => setAllEvents(true)} />
              <span>All events, including types added later</span>
            </label>
          </div>
          {errors.events !== undefined && (
            <p id="events-error" className="field-error" role="alert">
              {errors.events}
            </p>
          )}
          {!allEvents && (
            <div className="event-groups">
              {groupEventTypes(catalog).map(({ group, types }) => (
                <EventGroup key={group} group={group} types={types} selected={selected} onToggle={toggle} />
              ))}
            </div>
          )}
        </fieldset>

        <fieldset className="field settings-field">
          <legend>
            Delivery settings <span className="optional">(optional)</span>
          </legend>
          <p className="hint">Left empty, the server's settings apply. The server sets the most you may choose.</p>
          <SettingInput
            field="rate_limit"
            label="Rate limit"
            unit="deliveries per second"
            placeholder="no limit"
            hint="At most this many attempts per second; more wait their turn."
            value={settings.rate_limit}
            error={errors.rate_limit}
            onChange={(value) => {
              setSettings((x) => ({ ...x, rate_limit: value }));
              setErrors((x) => ({ ...x, rate_limit: undefined }));
            }}
          />
          <SettingInput
            field="retry_schedule"
            label="Retry schedule"
            unit="seconds between attempts"
            placeholder="the server's"
            hint='Delays before each retry, such as "5, 30, 300"; "none" for a single attempt.'
            value={settings.retry_schedule}
            error={errors.retry_schedule}
            onChange={(value) => {
              setSettings((x) => ({ ...x, retry_schedule: value }));
              setErrors((x) => ({ ...x, retry_schedule: undefined }));
            }}
          />
          <SettingInput
            field="timeout"
            label="Timeout"
            unit="seconds per attempt"
            placeholder="the server's"
            hint="How long one attempt may take, the whole response included."
            value={settings.timeout}
            error={errors.timeout}
            onChange={(value) => {
              setSettings((x) => ({ ...x, timeout: value }));
              setErrors((x) => ({ ...x, timeout: undefined }));
            }}
          />
        </fieldset>

        <div className="form-actions">
          <button type="submit" className="button button-primary" disabled={busy}>
            {busy ? 'Saving…' : endpoint === undefined ? 'Add webhook' : 'Save changes'}
          </button>
          <button type="button" className="button" onClick={() => navigate(back.to)}>
            Cancel
          </button>
        </div>
      </form>
    </>
  );
}

function SettingInput(props: {
  field: SettingField;
  label: string;
  unit: string;
  placeholder: string;
  hint: string;
  value: string;
  error: string | undefined;
  onChange: (value: string) => void;
}) {
  const { field, label, unit, placeholder, hint, value, error, onChange } = props;
  return (
    <div className="field">
      <label htmlFor={field}>
        {label} <span className="muted small">({unit})</span>
      </label>
      <input
        id={field}
        name={field}
        type="text"
        inputMode={field === 'retry_schedule' ? 'text' : 'decimal'}
        autoComplete="off"
        placeholder={placeholder}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        aria-invalid={error !== undefined}
        aria-describedby={error !== undefined ? `${field}-hint ${field}-error` : `${field}-hint`}
      />
      <p id={`${field}-hint`} className="hint">
        {hint}
      </p>
      {error !== undefined && (
        <p id={`${field}-error`} className="field-error">
          {error}
        </p>
      )}
    </div>
  );
}

function EventGroup({
  group,
  types,
  selected,
  onToggle,
}: {
  group: string;
  types: EventType[];
  selected: Set<string>;
  onToggle: (names: readonly string[], on: boolean) => void;
}) {
  const id = useId();
  const names = types.map((t) => t.name);
  const count = names.filter((n) => selected.has(n)).length;
  const groupBox = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (groupBox.current) groupBox.current.indeterminate = count > 0 && count < names.length;
  }, [count, names.length]);
  return (
    <fieldset className="event-group">
      <legend className="event-group-legend">
        <label className="choice choice-group" htmlFor={`${id}-all`}>
          <input
            ref={groupBox}
            id={`${id}-all`}
            type="checkbox"
            checked={count === names.length}
            onChange={(e) => onToggle(names, e.target.checked)}
          />
          <span>
            {group} <span className="muted small">({count} of {names.length})</span>
          </span>
        </label>
      </legend>
      <ul className="event-options">
        {types.map((type) => (
          <li key={type.name}>
            <label className="choice choice-event">
              <input
                type="checkbox"
                name="events"
                value={type.name}
                checked={selected.has(type.name)}
                onChange={(e) => onToggle([type.name], e.target.checked)}
              />
              <span>
                <code className="event-name">{type.name}</code>
                <span className="event-description">{type.description}</span>
              </span>
            </label>
          </li>
        ))}
      </ul>
    </fieldset>
  );
}
