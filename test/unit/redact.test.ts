import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLogger } from '../../src/logger.ts';
import { maskUrl, Redactor, redactUrl } from '../../src/redact.ts';

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
  const out = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
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

// Passwords a user may really have. `written` is how the URL carries it: raw where the URL still
// parses that way, percent-encoded where it must be (config refuses the raw form, see config.test.ts).
const PASSWORDS: { password: string; written: string[] }[] = [
  { password: 'Pw@Three333', written: ['Pw@Three333', 'Pw%40Three333'] },
  { password: 'pa/ss-word9', written: ['pa%2Fss-word9'] },
  { password: '123#abc-Zx', written: ['123%23abc-Zx'] },
  { password: 'a:b:c-Colon', written: ['a:b:c-Colon', 'a%3Ab%3Ac-Colon'] },
  { password: '50%off-Pct', written: ['50%25off-Pct'] },
  { password: 'plus+sign+1', written: ['plus+sign+1', 'plus%2Bsign%2B1'] },
  { password: 'with space 7', written: ['with space 7', 'with%20space%207'] },
  { password: 'pässwörd-ü8', written: ['pässwörd-ü8', encodeURIComponent('pässwörd-ü8')] },
  { password: 'Mix@ed+Pw9', written: ['Mix@ed%2BPw9'] }, // partly encoded: the written form is a form of its own
  { password: 'back\\slash"q', written: [encodeURIComponent('back\\slash"q')] },
];

for (const { password, written } of PASSWORDS) {
  for (const form of written) {
    test(`a camera password ${JSON.stringify(password)} written ${JSON.stringify(form)} is masked in every form it can take`, () => {
      const url = `rtsp://viewer:${form}@127.0.0.1:8554/cam`;
      const r = new Redactor();
      r.addUrlPasswords([url]);
      const texts = [
        `${url}: Connection refused`, // ffmpeg's stderr echoes the URL as given
        JSON.stringify({ err: `${url}: Connection refused`, stderr: [`method DESCRIBE failed: ${url}`] }), // a log line
        `connect ${new URL(url).href}`, // as the URL parser normalizes it
        `auth failed for ${password}`, // decoded, as a library may print it
        JSON.stringify({ msg: `auth failed for ${password}` }),
      ];
      for (const text of texts) {
        const out = r.scrub(text);
        for (const leak of new Set([password, form, encodeURIComponent(password), JSON.stringify(password).slice(1, -1)])) {
          assert.ok(!out.includes(leak), `${JSON.stringify(leak)} left in ${out}`);
        }
      }
      assert.equal(r.scrub(`${url}: Connection refused`), 'rtsp://viewer:***@127.0.0.1:8554/cam: Connection refused');
    });
  }
}

test('URL credentials are masked up to the last "@", whatever the password holds', () => {
  assert.equal(redactUrl('rtsp://viewer:Pw@Three333@10.0.0.5/s'), 'rtsp://viewer:***@10.0.0.5/s');
  assert.equal(redactUrl('"rtsp://viewer:pa/ss@10.0.0.5/s" is not a URL'), '"rtsp://viewer:***@10.0.0.5/s" is not a URL');
  assert.equal(redactUrl('rtsp://viewer:123#abc@10.0.0.5:8554/s'), 'rtsp://viewer:***@10.0.0.5:8554/s');
  assert.equal(redactUrl('["rtsp://a:b@h1/x","rtsp://c:d@h2/y"]'), '["rtsp://a:***@h1/x","rtsp://c:***@h2/y"]');
});

test('one URL is masked by position: a password holding quotes, "<", ">" or spaces is masked whole', () => {
  assert.equal(maskUrl(`rtsp://admin:O'Neil"s pw@10.0.0.5/s`), 'rtsp://admin:***@10.0.0.5/s');
  assert.equal(maskUrl('rtsp://admin:a<b>c@10.0.0.5/s#x'), 'rtsp://admin:***@10.0.0.5/s#x');
  assert.equal(maskUrl("rtsp://admin:it's/x@10.0.0.5/s"), 'rtsp://admin:***@10.0.0.5/s');
  assert.equal(maskUrl('rtsp://viewer:Pw@Three333@10.0.0.5/s'), 'rtsp://viewer:***@10.0.0.5/s');
  assert.equal(maskUrl('rtsp://admin@10.0.0.5:554/s'), 'rtsp://admin@10.0.0.5:554/s');
  assert.equal(maskUrl('rtsp://10.0.0.5:554/s?password=x'), 'rtsp://10.0.0.5:554/s?password=***');
});
