import { PageHeader } from '../components/page-header.js';
import { Link } from '../router.js';
import { useTitle } from '../use-title.js';

export function NotFoundPage() {
  useTitle('Not found');
  return (
    <>
      <PageHeader title="Page not found" lead="There is nothing at this address." />
      <p>
        <Link to="/webhooks">Go to your webhooks</Link>
      </p>
    </>
  );
}
