import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { systemClock } from '../../src/clock.js';
import { dispatchHarness } from './harness.js';

// On the real clock: the manual-clock tests' schedule holds in real time too. Never early is exact;
// "about" only says each retry used its own delay and not a later one, because a busy machine can
// hold any timer up by seconds.
describe('dispatcher: real time', () => {
  it('retries a 500 about 3 s, then about 7 s, after each failure, on the system clock', async (t) => {
    const h = await dispatchHarness(t);
    const receiver = await h.receiver((_req, n, res) => void res.writeHead(n < 3 ? 500 : 200).end());
    await h.endpoint({ url: receiver.url });
    const { deliveries } = await h.publish({ createdAt: Date.now() });
    h.dispatcher({ clock: systemClock, pollIntervalMs: 1000 });

    await h.deliveryWhere(deliveries[0]!.id, (d) => d.status === 'succeeded');
    const [first, second, third] = await h.attempts(deliveries[0]!.id, 3);
    const firstGap = second!.startedAt - (first!.startedAt + first!.durationMs);
    const secondGap = third!.startedAt - (second!.startedAt + second!.durationMs);
    assert.ok(firstGap >= 2990 && firstGap < 6990, `second attempt ${firstGap} ms after the first failed`);
    assert.ok(secondGap >= 6990 && secondGap < 2 * 7000, `third attempt ${secondGap} ms after the second failed`);
    assert.equal(receiver.requests.length, 3);
  });

  it('attempts a retry when it falls due, with no poll and no other traffic to wake the dispatcher', async (t) => {
    const h = await dispatchHarness(t);
    const receiver = await h.receiver((_req, n, res) => void res.writeHead(n < 2 ? 500 : 200).end());
    await h.endpoint({ url: receiver.url, settings: { retrySchedule: [500] } });
    const { deliveries } = await h.publish({ createdAt: Date.now() });
    // The harness's dispatchers poll once a minute: only the retry's own wake-up can start it sooner.
    h.dispatcher({ clock: systemClock });

    await h.deliveryWhere(deliveries[0]!.id, (d) => d.status === 'succeeded');
    const [first, second] = await h.attempts(deliveries[0]!.id, 2);
    const gap = second!.startedAt - (first!.startedAt + first!.durationMs);
    assert.ok(gap >= 490 && gap < 30_000, `second attempt ${gap} ms after the first failed`);
  });
});
