// [[cameras]] with source_type = "redis_stream": a Redis URL and a stream key, optional group and
// consumer; every mistake refused with where it is and how to fix it, passwords masked.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { loadConfig } from '../../src/config/load.ts';
import { effectiveConfig } from '../../src/config/print.ts';
import { registerSecrets } from '../../src/config/secrets.ts';
import { Redactor } from '../../src/redact.ts';
import { CREDS, file, problems } from '../support/config-files.ts';

const camera = (lines: string): string => `[[cameras]]\nid = "till-3"\nsource_type = "redis_stream"\n${lines}\n`;

describe('config: redis_stream cameras', () => {
  test('a redis_stream camera reads its stream as consumer group "camera-recorder", consumer the camera id, unless told otherwise', () => {
    const path = file(
      `${camera('url = "redis://rec:pw%40x@192.0.2.20:6379/2"\nstream = "frames:till-3"')}${camera('url = "rediss://redis.example/0"\nstream = "s"\ngroup = "nvr"\nconsumer = "pod a"').replace('till-3', 'till-4')}`,
    );
    const [a, b] = loadConfig(path, CREDS).cameras;
    assert.deepEqual(
      { sourceType: a?.sourceType, url: a?.url, redis: a?.redis },
      {
        sourceType: 'redis_stream',
        url: 'redis://rec:pw%40x@192.0.2.20:6379/2',
        redis: { stream: 'frames:till-3', group: 'camera-recorder', consumer: 'till-3' },
      },
    );
    assert.deepEqual(b?.redis, { stream: 's', group: 'nvr', consumer: 'pod a' });
  });

  test('--check-config shows the stream, group and consumer, and the URL without its password', () => {
    const path = file(camera('url = "redis://rec:pw-Secret1@192.0.2.20:6379/0"\nstream = "frames:till-3"'));
    const printed = JSON.stringify(effectiveConfig(loadConfig(path, CREDS)));
    assert.match(printed, /redis:\/\/rec:\*\*\*@192\.0\.2\.20:6379\/0/);
    assert.match(printed, /frames:till-3/);
    assert.ok(!printed.includes('pw-Secret1'), printed);
  });

  test('a missing stream, a URL that is not Redis, a path, and an empty group are refused with where and how', () => {
    const path = file(
      [
        camera('url = "redis://192.0.2.20"'),
        camera('url = "rtsp://u:pw-1234@192.0.2.20/s"\nstream = "s"').replace('till-3', 'b'),
        camera('url = "redis://192.0.2.20/0"\nstream = "s"\npath = "/x.mp4"').replace('till-3', 'c'),
        camera('url = "redis://192.0.2.20/frames"\nstream = "s"').replace('till-3', 'd'),
        camera('url = "redis://192.0.2.20"\nstream = "s"\ngroup = ""').replace('till-3', 'e'),
        camera('stream = "s"').replace('till-3', 'f'),
      ].join(''),
    );
    assert.deepEqual(problems(path, CREDS), [
      `cameras[0].stream (${path}): missing: the key of the Redis stream the frames are added to, e.g. stream = "frames:front-door"`,
      `cameras[1].url (${path}): scheme "rtsp:" is not a Redis URL; a redis_stream camera takes redis:// or rediss:// (TLS)`,
      `cameras[2].path (${path}): path is for source_type = "file"; a redis_stream camera takes url and stream`,
      `cameras[3].url (${path}): "redis://192.0.2.20/frames" has more than a database number after the host; expected redis://host[:port][/db], e.g. /0 (if "/", "?" or "#" is part of the password, percent-encode it)`,
      `cameras[4].group (${path}): "" is not a name: give a non-empty string without control characters`,
      `cameras[5].url (${path}): missing: set the Redis server's URL, e.g. "redis://user:password@192.0.2.20:6379/0" (rediss:// for TLS)`,
    ]);
  });

  test("the Redis URL's password is registered with the redactor, as written and decoded", () => {
    const path = file(camera('url = "redis://rec:Red%40is-pw9@192.0.2.20:6379/0"\nstream = "s"'));
    const redactor = new Redactor();
    registerSecrets(redactor, loadConfig(path, CREDS));
    assert.equal(redactor.scrub('AUTH rec Red@is-pw9 / Red%40is-pw9'), 'AUTH rec *** / ***');
  });

  test('password_env takes the Redis password from the environment (a Secret), percent-encoded into the url and masked like one written there', () => {
    const path = file(camera('url = "redis://recorder@192.0.2.20:6379/0"\nstream = "s"\npassword_env = "TILL_REDIS_PASSWORD"'));
    const config = loadConfig(path, { ...CREDS, TILL_REDIS_PASSWORD: 'p@ss/w#rd-1' });
    assert.equal(config.cameras[0]?.url, 'redis://recorder:p%40ss%2Fw%23rd-1@192.0.2.20:6379/0');
    assert.equal(new URL(config.cameras[0]?.url ?? '').hostname, '192.0.2.20');
    const redactor = new Redactor();
    registerSecrets(redactor, config);
    assert.equal(redactor.scrub('AUTH recorder p@ss/w#rd-1'), 'AUTH recorder ***');
    const noUser = loadConfig(file(camera('url = "redis://192.0.2.20"\nstream = "s"\npassword_env = "P"')), { ...CREDS, P: 'pw-2345' });
    assert.equal(noUser.cameras[0]?.url, 'redis://:pw-2345@192.0.2.20');
  });

  test('password_env that is no variable name, is not set, or comes with a password in the url is refused', () => {
    const path = file(
      [
        camera('url = "redis://192.0.2.20"\nstream = "s"\npassword_env = "redis password"'),
        camera('url = "redis://192.0.2.20"\nstream = "s"\npassword_env = "UNSET_PW"').replace('till-3', 'b'),
        camera('url = "redis://u:pw-1234@192.0.2.20"\nstream = "s"\npassword_env = "SET_PW"').replace('till-3', 'c'),
      ].join(''),
    );
    const got = problems(path, { ...CREDS, SET_PW: 'other-pw' });
    assert.deepEqual(got, [
      `cameras[0].password_env (${path}): "redis password" is not an environment variable name; e.g. password_env = "TILL3_REDIS_PASSWORD"`,
      `cameras[1].password_env (${path}): environment variable UNSET_PW is not set; set it to the Redis password (e.g. from the Secret), or remove password_env`,
      `cameras[2].password_env (${path}): the url has a password too; remove it from the url (the one in SET_PW is used)`,
    ]);
    assert.ok(!got.join('').includes('pw-1234') && !got.join('').includes('other-pw'));
  });

  test("config.example.toml's commented redis_stream camera loads once uncommented", () => {
    const example = readFileSync(new URL('../../config.example.toml', import.meta.url), 'utf8');
    const block = example.slice(example.indexOf('# [[cameras]]\n# id = "till-3"')).replace(/^# /gm, '');
    const redis = loadConfig(file(block), { ...CREDS, TILL3_REDIS_PASSWORD: 'pw-from-secret' }).cameras.find((c) => c.id === 'till-3');
    assert.equal(redis?.url, 'redis://recorder:pw-from-secret@192.0.2.20:6379/0');
    assert.deepEqual(redis?.redis, { stream: 'frames:till-3', group: 'camera-recorder', consumer: 'till-3' });
  });

  test('stream, group and consumer on a camera of another type are refused', () => {
    const path = file('[[cameras]]\nid = "a"\nurl = "rtsp://192.0.2.10/s"\nstream = "s"\nconsumer = "x"\n');
    assert.deepEqual(problems(path, CREDS), [
      `cameras[0].stream (${path}): stream is for source_type = "redis_stream"; remove it from this rtsp camera`,
      `cameras[0].consumer (${path}): consumer is for source_type = "redis_stream"; remove it from this rtsp camera`,
    ]);
  });
});
