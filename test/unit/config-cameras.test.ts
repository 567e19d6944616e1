import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadConfig } from '../../src/config/load.ts';
import { configDir, CREDS, file, problems } from '../support/config-files.ts';

const dir = configDir;

describe('config cameras: where each is defined, file cameras, the camera secrets key', () => {
  test('every camera says where it is defined: its table in the file, or its environment variable', () => {
    const path = file('[[cameras]]\nid = "door"\nurl = "rtsp://a/s"\n[[cameras]]\nid = "camera-1"\nurl = "rtsp://b/s"\n');
    const c = loadConfig(path, { ...CREDS, CAMERA1_RTSP_URL: 'rtsp://env/s', CAMERA2_RTSP_URL: 'rtsp://env2/s' });
    assert.deepEqual(
      c.cameras.map((x) => [x.id, x.definedIn]),
      [
        ['door', `${path} cameras[0]`],
        ['camera-1', `${path} cameras[1], URL from environment CAMERA1_RTSP_URL`],
        ['camera-2', 'environment CAMERA2_RTSP_URL'],
      ],
    );
  });

  test("a file camera plays a readable file; a relative path starts at the config file's folder", () => {
    mkdirSync(join(dir, 'videos'), { recursive: true });
    writeFileSync(join(dir, 'videos', 'loop.mp4'), 'not checked here');
    const path = file('[[cameras]]\nid = "demo"\nsource_type = "file"\npath = "videos/loop.mp4"\n');
    const [cam] = loadConfig(path, CREDS).cameras;
    assert.equal(cam?.sourceType, 'file');
    assert.equal(cam?.url, `file:${join(dir, 'videos', 'loop.mp4')}`);
  });

  test('a file camera whose file is missing, a folder or unreadable is refused with the path and the fix', () => {
    const unreadable = join(dir, 'secret.mp4');
    writeFileSync(unreadable, 'x');
    chmodSync(unreadable, 0o000);
    const path = file(
      `[[cameras]]\nid = "a"\nsource_type = "file"\npath = "/nonexistent/x.mp4"\n[[cameras]]\nid = "b"\nsource_type = "file"\npath = "${dir}"\n[[cameras]]\nid = "c"\nsource_type = "file"\npath = "${unreadable}"\n[[cameras]]\nid = "d"\nsource_type = "file"\n`,
    );
    const got = problems(path, CREDS);
    assert.equal(
      got[0],
      `cameras[0].path (${path}): /nonexistent/x.mp4 does not exist; check the path (relative paths start at the config file's folder) and that the service's user may read it`,
    );
    assert.match(got[1] ?? '', /cameras\[1\]\.path .* is not a file; give the path of a video file/);
    if (process.getuid?.() !== 0) assert.match(got[2] ?? '', /cameras\[2\]\.path .*secret\.mp4 cannot be read \(EACCES\)/);
    assert.match(got.at(-1) ?? '', /cameras\[3\]\.path .*missing: a file camera needs the path of a video file/);
  });

  test('source_type and the keys that go with it must agree', () => {
    const path = file(
      '[[cameras]]\nid = "a"\nsource_type = "file"\nurl = "rtsp://h/s"\npath = "/x"\n[[cameras]]\nid = "b"\npath = "/x"\nurl = "rtsp://h/s"\n[[cameras]]\nid = "c"\nsource_type = "http"\nurl = "rtsp://h/s"\n[[cameras]]\nid = "d"\nsource_type = "synthetic"\nurl = "rtsp://h/s"\n',
    );
    const got = problems(path, CREDS);
    assert.ok(got.includes(`cameras[0].url (${path}): a camera with source_type = "file" takes a path, not a url: remove url`), got.join('\n'));
    assert.ok(got.includes(`cameras[1].path (${path}): path is for source_type = "file"; a rtsp camera takes a url`), got.join('\n'));
    assert.ok(
      got.includes(`cameras[2].source_type (${path}): "http" is not a source type: use "rtsp", "file", "synthetic", "http_push", "redis_stream"`),
      got.join('\n'),
    );
    assert.ok(
      got.some((p) => p.startsWith(`cameras[3].source_type (${path}): source_type = "synthetic" does not match`)),
      got.join('\n'),
    );
  });

  test('the camera secrets key is 32 bytes in hex or base64; anything else is refused without echoing it', () => {
    const hex = 'ab'.repeat(32);
    assert.equal(loadConfig(undefined, { ...CREDS, CAMERA1_RTSP_URL: 'rtsp://h/s', CAMERA_SECRETS_KEY: hex }).api.cameraSecretsKey, hex);
    assert.equal(
      loadConfig(undefined, { ...CREDS, CAMERA1_RTSP_URL: 'rtsp://h/s', CAMERA_SECRETS_KEY: Buffer.alloc(32, 7).toString('base64') }).api.cameraSecretsKey
        .length,
      44,
    );
    const got = problems(undefined, { ...CREDS, CAMERA1_RTSP_URL: 'rtsp://h/s', CAMERA_SECRETS_KEY: 'too-short-a-key' });
    assert.deepEqual(got, [
      'CAMERA_SECRETS_KEY (environment): must be 32 bytes as 64 hex characters or 44 base64 characters (got 15 characters); make one with "openssl rand -hex 32"',
    ]);
  });
});
