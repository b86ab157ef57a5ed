import type { EventType } from '../api/types.js';
import { groupEventTypes, useCatalog } from '../catalog.js';
import { CodeBlock, prettyJson } from '../components/code-block.js';
import { ErrorNotice, Loading } from '../components/notice.js';
import { PageHeader } from '../components/page-header.js';
import { useTitle } from '../use-title.js';

export function EventTypesPage() {
  useTitle('Event types');
  const catalog = useCatalog();
  const groups = catalog.data === undefined ? undefined : groupEventTypes(catalog.data);
  return (
    <>
      <PageHeader
        title="Event types"
        lead={
          <>
            Every delivery's body is <code>{'{"id","event","payload"}'}</code>. These are the events your webhooks can subscribe to, with
            the fields of each payload. Receivers should ignore fields and event types they do not know.
          </>
        }
      />
      {catalog.error !== undefined && <ErrorNotice error={catalog.error} title="Could not load the event catalog" onRetry={catalog.reload} />}
      {catalog.data === undefined && catalog.error === undefined && <Loading what="the event catalog" />}
      {groups !== undefined && (
        <>
          <nav aria-label="Event groups" className="toc">
            {groups.map(({ group, types }) => (
              <a key={group} href={`#group-${slug(group)}`}>
                {group} <span className="muted">({types.length})</span>
              </a>
            ))}
          </nav>
          {groups.map(({ group, types }) => (
            <section key={group} className="event-type-group" aria-labelledby={`group-${slug(group)}`}>
              <h2 id={`group-${slug(group)}`}>{group}</h2>
              {types.map((type) => (
                <EventTypeCard key={type.name} type={type} />
              ))}
            </section>
          ))}
        </>
      )}
    </>
  );
}

function EventTypeCard({ type }: { type: EventType }) {
  const properties = (type.schema.properties ?? {}) as Record<string, { type?: string | string[]; description?: string }>;
  const required = new Set((type.schema.required ?? []) as string[]);
  return (
    <article className="card event-type" id={`event-${type.name}`} aria-labelledby={`event-${type.name}-title`}>
      <h3 id={`event-${type.name}-title`}>
        <code>{type.name}</code>
      </h3>
      <p>{type.description}</p>
      <div className="event-type-body">
        <div className="table-wrap">
          <table className="table table-fields" aria-label={`Payload fields of ${type.name}`}>
            <thead>
              <tr>
                <th scope="col">Field</th>
                <th scope="col">Type</th>
                <th scope="col">Required</th>
              </tr>
            </thead>
            <tbody>
              {Object.entries(properties).map(([name, schema]) => (
                <tr key={name}>
                  <th scope="row">
                    <code>{name}</code>
                  </th>
                  <td>{typeName(schema.type)}</td>
                  <td>{required.has(name) ? 'Required' : 'Optional'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <CodeBlock label="Example payload" copies={`example payload of ${type.name}`} code={prettyJson(type.example)} />
      </div>
      <details>
        <summary>JSON Schema</summary>
        <CodeBlock label={`JSON Schema of ${type.name}`} copies={`JSON Schema of ${type.name}`} code={prettyJson(type.schema)} />
      </details>
    </article>
  );
}

function typeName(type: string | string[] | undefined): string {
  if (type === undefined) return 'any';
  return Array.isArray(type) ? type.join(' or ') : type;
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-');
}
