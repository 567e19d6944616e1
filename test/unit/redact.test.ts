import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLogger } from '../../src/logger.ts';
import { Redactor, redactUrl } from '../../src/redact.ts';

test('URL credentials and password parameters are masked, the user name kept', () => {
  assert.equal(redactUrl('rtsp://admin:hunter2@10.0.0.5:554/stream1'), 'rtsp://admin:***@10.0.0.5:554/stream1');
  assert.equal(redactUrl('failed to open rtsp://a:b%40c@cam/x: 401'), 'failed to open rtsp://a:***@cam/x: 401');
  assert.equal(redactUrl('rtsp://cam/live?user=admin&password=hunter2&channel=1'), 'rtsp://cam/live?user=admin&password=***&channel=1');
  assert.equal(redactUrl('rtsp://cam/live'), 'rtsp://cam/live');
});

test('registered secrets are masked raw, percent-encoded and JSON-escaped', () => {
  const r = new Redactor();
  r.add('s3cr"et/key', undefined, 'ab');
  r.addUrlPasswords(['rtsp://admin:p%40ss%2Fword@cam/s']);
  assert.equal(r.scrub('key=s3cr"et/key'), 'key=***');
  assert.equal(r.scrub(JSON.stringify({ m: 's3cr"et/key' })), '{"m":"***"}');
  assert.equal(r.scrub('sig s3cr%22et%2Fkey'), 'sig ***');
  assert.equal(r.scrub('[rtsp] 401 for p@ss/word'), '[rtsp] 401 for ***');
  assert.equal(r.scrub('ab stays: too short to match safely'), 'ab stays: too short to match safely');
});

test('no log line carries a secret, wherever it appears in the record', () => {
  const r = new Redactor();
  r.add('wJalrXUtnFEMI-K7MDENG');
  const lines: string[] = [];
  const out = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
  const log = createLogger('info', r, out);
  log.info({ url: 'rtsp://admin:hunter2@cam/s', stderr: ['Auth failed with wJalrXUtnFEMI-K7MDENG'] }, 'connect rtsp://admin:hunter2@cam/s');
  log.error({ err: new Error('signature wJalrXUtnFEMI-K7MDENG mismatch') }, 'upload failed');
  const text = lines.join('');
  assert.equal(lines.length, 2);
  assert.ok(!text.includes('hunter2'), text);
  assert.ok(!text.includes('wJalrXUtnFEMI-K7MDENG'), text);
  assert.match(text, /rtsp:\/\/admin:\*\*\*@cam\/s/);
  assert.equal(JSON.parse(lines[1]!).err.message, 'signature *** mismatch');
});
