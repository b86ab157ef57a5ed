/** Subscribed event types as small tags, "All events" for the wildcard, "+N more" past `max`. */
export function EventList({ events, max }: { events: readonly string[]; max?: number }) {
  if (events.includes('*')) return <span className="tag tag-all">All events</span>;
  const shown = max === undefined ? events : events.slice(0, max);
  const more = events.length - shown.length;
  return (
    <ul className="tags" aria-label="Subscribed events">
      {shown.map((event) => (
        <li key={event} className="tag">
          {event}
        </li>
      ))}
      {more > 0 && <li className="tag tag-more">+{more} more</li>}
    </ul>
  );
}
