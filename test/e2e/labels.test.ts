// A camera's labels, used where an operator looks for them: the camera_info metric (to slice any
// series by site or zone in PromQL) and the metadata of every segment stored in the bucket.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { freePort } from '../support/ports.ts';
import { RecorderProcess } from '../support/recorder-process.ts';

let recorder: RecorderProcess | undefined;
after(async () => {
  await recorder?.stop('SIGKILL');
});

test('camera labels become a camera_info series and metadata of every stored segment', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'labels-'));
  const config = join(dir, 'config.toml');
  writeFileSync(
    config,
    [
      'storage = "filesystem"',
      'segment_duration = "2s"',
      `temp_dir = ${JSON.stringify(join(dir, 'spool'))}`,
      `[filesystem]\nroot = ${JSON.stringify(join(dir, 'bucket'))}`,
      '[[cameras]]\nid = "front"\nurl = "synthetic:?size=160x120&fps=5&audio=none"\nlabels = { site = "store 12", Zone_Name = "Kasse ü" }',
      '[[cameras]]\nid = "back"\nurl = "synthetic:?size=160x120&fps=5&audio=none"',
    ].join('\n'),
  );
  recorder = new RecorderProcess({}, await freePort(), ['--config', config]);
  const uploaded = await recorder.waitForLog((l) => l.camera === 'front' && l.msg === 'segment uploaded', 60_000, 'a segment of camera front uploaded');
  const { body } = await recorder.get('/metrics');
  assert.equal((await recorder.stop()).code, 0);
  const info = body
    .split('\n')
    .filter((l) => l.startsWith('camera_info{'))
    .sort();
  assert.deepEqual(info, ['camera_info{camera_id="back",Zone_Name="",site=""} 1', 'camera_info{camera_id="front",Zone_Name="Kasse ü",site="store 12"} 1']);
  const meta = JSON.parse(readFileSync(join(dir, 'bucket', `${uploaded.key as string}.meta.json`), 'utf8')) as { metadata: Record<string, string> };
  assert.equal(meta.metadata['label-site'], 'store%2012');
  assert.equal(decodeURIComponent(meta.metadata['label-zone-name']!), 'Kasse ü');
  assert.equal(meta.metadata.camera, 'front');
});
