import { PageHeader } from '../components/page-header.js';
import { Link } from '../router.js';
import { useTitle } from '../use-title.js';

/** An unknown address, or the page of a webhook or delivery that does not exist (any more). */
export function NotFoundPage({ lead = 'There is nothing at this address.' }: { lead?: string }) {
  useTitle('Not found');
  return (
    <>
      <PageHeader title="Page not found" lead={lead} />
      <p>
        <Link to="/webhooks">Go to your webhooks</Link> or <Link to="/deliveries">see all deliveries</Link>.
      </p>
    </>
  );
}
