// The snapshots table of the configuration: defaults, a camera's table over the global one, and a
// message naming the key, the value and the fix for each mistake.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConfigProblem } from '../../src/errors.ts';
import { checkArchiveOptions, DEFAULT_ARCHIVE_OPTIONS } from '../../src/frames/archive-options.ts';

test('no table gives the base; a table overrides only what it names; durations take units or seconds', () => {
  const problems: ConfigProblem[] = [];
  assert.deepEqual(checkArchiveOptions(undefined, 'snapshots', problems), { mode: 'abnormal', minIntervalMs: 60_000, sampleIntervalMs: 300_000 });
  const global = checkArchiveOptions({ mode: 'all', sample_interval: '15m' }, 'snapshots', problems);
  assert.deepEqual(global, { mode: 'all', minIntervalMs: 60_000, sampleIntervalMs: 900_000 });
  assert.deepEqual(checkArchiveOptions({ min_interval: 30 }, 'cameras[0].snapshots', problems, global), {
    mode: 'all',
    minIntervalMs: 30_000,
    sampleIntervalMs: 900_000,
  });
  assert.equal(checkArchiveOptions(undefined, 'cameras[1].snapshots', problems, global), global, 'a camera without a table takes the global one');
  assert.deepEqual(problems, []);
  assert.deepEqual(DEFAULT_ARCHIVE_OPTIONS, { mode: 'abnormal', minIntervalMs: 60_000, sampleIntervalMs: 300_000 });
});

test('each mistake is reported with where it is and how to fix it, all at once', () => {
  const problems: ConfigProblem[] = [];
  const got = checkArchiveOptions(
    { mode: 'abnormals', min_interval: '500ms', sample_interval: 'often', min_intervall: '1m' },
    'cameras[2].snapshots (/etc/r.toml)',
    problems,
  );
  assert.equal(got, undefined);
  assert.deepEqual(
    problems.map((p) => p.key),
    [
      'cameras[2].snapshots (/etc/r.toml).min_intervall',
      'cameras[2].snapshots (/etc/r.toml).mode',
      'cameras[2].snapshots (/etc/r.toml).min_interval',
      'cameras[2].snapshots (/etc/r.toml).sample_interval',
    ],
  );
  const [unknown, mode, min, sample] = problems.map((p) => p.message);
  assert.match(unknown as string, /did you mean "min_interval"/);
  assert.match(mode as string, /"abnormals" is not a mode: use one of all, abnormal, sample, none/);
  assert.match(min as string, /"500ms" is out of range: it must be between 1s and 24h/);
  assert.match(sample as string, /"often" is not a duration: write it like "60s"/);
  checkArchiveOptions('abnormal', 'snapshots', problems);
  assert.match(problems.at(-1)?.message ?? '', /must be a table, e\.g\. snapshots = \{ mode = "abnormal"/);
});
