// Push cameras in the configuration: source_type = "http_push" takes no url or path and maybe a
// token of its own, which is checked without being quoted back and is a secret to the redactor;
// the [push] settings have their defaults and their order.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from '../../src/config/load.ts';
import { registerSecrets } from '../../src/config/secrets.ts';
import { Redactor } from '../../src/redact.ts';
import { CREDS, file, problems } from '../support/config-files.ts';

const TOKEN = 'door-token-3b8f1e9a2c';

describe('config push cameras', () => {
  test('an http_push camera needs no url; its push_token is kept, and the [push] settings default to 10 s, 60 s and 2 MiB', () => {
    const path = file(`[[cameras]]\nid = "door"\nsource_type = "http_push"\npush_token = "${TOKEN}"\n[[cameras]]\nid = "lobby"\nsource_type = "http_push"\n`);
    const c = loadConfig(path, CREDS);
    assert.deepEqual(
      c.cameras.map((x) => [x.id, x.sourceType, x.url, x.pushToken]),
      [
        ['door', 'http_push', '', TOKEN],
        ['lobby', 'http_push', '', undefined],
      ],
    );
    assert.deepEqual(c.push, { idleDisconnectMs: 10_000, idleFinalizeMs: 60_000, maxFrameBytes: 2 * 2 ** 20 });
  });

  test('a push_token is a secret: the redactor masks it in every log line', () => {
    const path = file(`[[cameras]]\nid = "door"\nsource_type = "http_push"\npush_token = "${TOKEN}"\n`);
    const redactor = new Redactor();
    registerSecrets(redactor, loadConfig(path, CREDS));
    assert.ok(!redactor.scrub(`token ${TOKEN} here`).includes(TOKEN));
  });

  test('a url or path on a push camera, a short token, and a push_token on an rtsp camera are refused, the token never quoted', () => {
    const path = file(
      '[[cameras]]\nid = "a"\nsource_type = "http_push"\nurl = "rtsp://h/s"\n' +
        '[[cameras]]\nid = "b"\nsource_type = "http_push"\npush_token = "short-secret"\n' +
        `[[cameras]]\nid = "c"\nurl = "rtsp://h/s"\npush_token = "${TOKEN}"\n`,
    );
    const got = problems(path, CREDS);
    assert.ok(
      got.includes(
        `cameras[0].url (${path}): a camera with source_type = "http_push" has no url: its pictures are POSTed to /api/ingest/push/<id>; remove url`,
      ),
      got.join('\n'),
    );
    assert.ok(
      got.some((p) => p.startsWith(`cameras[1].push_token (${path}): must be 16 to 256 printable ASCII characters`)),
      got.join('\n'),
    );
    assert.ok(
      got.includes(`cameras[2].push_token (${path}): push_token is for source_type = "http_push"; a rtsp camera has no pictures pushed to it`),
      got.join('\n'),
    );
    assert.ok(!got.join('\n').includes('short-secret') && !got.join('\n').includes(TOKEN), got.join('\n'));
  });

  test('push.idle_finalize shorter than push.idle_disconnect is refused', () => {
    const got = problems(undefined, { ...CREDS, CAMERA1_RTSP_URL: 'rtsp://h/s', PUSH_IDLE_DISCONNECT: '30s', PUSH_IDLE_FINALIZE: '20s' });
    assert.deepEqual(got, [
      'PUSH_IDLE_FINALIZE (environment): must be at least push.idle_disconnect: a camera counts as disconnected before its segment is finished',
    ]);
  });
});
