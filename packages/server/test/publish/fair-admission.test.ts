import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveConfig } from '../../src/config.js';
import { FairAdmission } from '../../src/publish/fair-admission.js';

/** A FairAdmission on a clock the test moves, and a way to see which entries were admitted. */
function admission(share: number) {
  let time = 0;
  const subject = new FairAdmission({ share, windowMs: 1000, now: () => time });
  const admitted: string[] = [];
  const enter = (org: string, label: string): void => {
    const waiting = subject.enter(org);
    if (waiting === undefined) admitted.push(label);
    else void waiting.then(() => admitted.push(label));
  };
  const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
  return { subject, admitted, enter, settle, advance: (ms: number) => void (time += ms) };
}

describe('fair admission to the publish path', () => {
  it('never limits an organization that publishes alone', () => {
    const { subject, admitted, enter } = admission(2);
    for (let i = 0; i < 50; i++) enter('burst', `b${i}`);
    assert.equal(admitted.length, 50);
    assert.deepEqual(subject.snapshot(), { burst: { active: 50, waiting: 0 } });
  });

  it('admits a second organization at once while the first holds far more than its share', () => {
    const { subject, admitted, enter } = admission(2);
    for (let i = 0; i < 10; i++) enter('burst', `b${i}`);
    enter('steady', 's0');
    assert.equal(admitted.at(-1), 's0');
    // The burst is over its share now: its next publish waits.
    enter('burst', 'b10');
    assert.ok(!admitted.includes('b10'));
    assert.deepEqual(subject.snapshot().burst, { active: 10, waiting: 1 });
  });

  it('keeps the limit for a window after the other organization was last seen, then lifts it', async () => {
    const { subject, admitted, enter, settle, advance } = admission(2);
    enter('steady', 's0');
    subject.leave('steady');
    advance(500);
    enter('burst', 'b0');
    enter('burst', 'b1');
    enter('burst', 'b2');
    assert.deepEqual(admitted, ['s0', 'b0', 'b1']);
    advance(600);
    // The steady organization was last seen 1.1 s ago: the burst's waiting publishes all go in.
    subject.leave('burst');
    await settle();
    assert.deepEqual(admitted, ['s0', 'b0', 'b1', 'b2']);
    enter('burst', 'b3');
    assert.equal(admitted.at(-1), 'b3');
    assert.deepEqual(subject.snapshot().burst, { active: 3, waiting: 0 });
  });

  it('lets an organization over its share in one at a time as its own publishes finish, in order', async () => {
    const { subject, admitted, enter, settle } = admission(1);
    enter('steady', 's0');
    enter('burst', 'b0');
    enter('burst', 'b1');
    enter('burst', 'b2');
    assert.deepEqual(admitted, ['s0', 'b0']);
    subject.leave('burst');
    await settle();
    assert.deepEqual(admitted, ['s0', 'b0', 'b1']);
    subject.leave('burst');
    await settle();
    assert.deepEqual(admitted, ['s0', 'b0', 'b1', 'b2']);
    subject.leave('burst');
    subject.leave('steady');
    assert.deepEqual(subject.snapshot(), {});
  });

  it('queues behind the waiting publishes of its own organization, never ahead of them', async () => {
    const { subject, admitted, enter, settle, advance } = admission(1);
    enter('steady', 's0');
    enter('burst', 'b0');
    enter('burst', 'b1');
    subject.leave('steady');
    advance(2000);
    // No other organization within the window, but b1 still waits: b2 must not overtake it.
    enter('burst', 'b2');
    assert.deepEqual(admitted, ['s0', 'b0']);
    subject.leave('burst');
    await settle();
    assert.deepEqual(admitted, ['s0', 'b0', 'b1', 'b2']);
  });

  it('refuses a share that is not a positive whole number, and a leave without an enter', () => {
    assert.throws(() => new FairAdmission({ share: 0 }), /share must be a positive integer/);
    assert.throws(() => new FairAdmission({ share: 1.5 }), /share must be a positive integer/);
    assert.throws(() => new FairAdmission({ share: 2 }).leave('nobody'), /leave without enter for organization nobody/);
  });
});

describe('--publish-fair-share', () => {
  it('is 2 by default, and taken from the flag or HERALD_PUBLISH_FAIR_SHARE', () => {
    assert.equal(resolveConfig({}, {}).publishFairShare, 2);
    assert.equal(resolveConfig({ publishFairShare: '8' }, {}).publishFairShare, 8);
    assert.equal(resolveConfig({}, { HERALD_PUBLISH_FAIR_SHARE: '3' }).publishFairShare, 3);
  });

  it('refuses what is not a whole number from 1, naming the setting', () => {
    assert.throws(() => resolveConfig({ publishFairShare: '0' }, {}), /--publish-fair-share/);
    assert.throws(() => resolveConfig({}, { HERALD_PUBLISH_FAIR_SHARE: 'many' }), /HERALD_PUBLISH_FAIR_SHARE/);
  });
});
