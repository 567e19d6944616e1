// SIGTERM as a rollout sends it: after a crash left segments (and maybe a still-running ffmpeg)
// behind, with a camera that hangs, and while the store is down. Real cameras, real ffmpeg, a
// real Ceph RGW, the real CLI.
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import { listKeys, localSegments } from '../support/bucket.ts';
import { isRunning } from '../support/child-exit.ts';
import type { RecorderProcess, LogLine } from '../support/recorder-process.ts';
import { SEGMENT_S, startS3Recorder } from '../support/s3-recorder.ts';
import { startRtspServer, type RtspServer } from '../support/rtsp-server.ts';
import { s3Client, startS3Server, type S3Server } from '../support/s3-server.ts';

/** Round 1: the camera sends, ffmpeg finalizes on SIGINT; 2: an orphaned ffmpeg at the restart; 2 and 3: a hung camera. */
const ROUNDS = 3;

let s3: S3Server;
let client: S3Client;
let cameras: RtspServer;
const running = new Set<RecorderProcess>();

before(async () => {
  [s3, cameras] = await Promise.all([startS3Server(), startRtspServer({ mounts: { '/cam': 'aac' } })]);
  client = s3Client(s3);
});
after(async () => {
  for (const r of running) await r.stop('SIGKILL');
  await cameras?.stop();
  client?.destroy();
  await s3?.stop();
});

async function startRecorder(env: Record<string, string>, opts: { tempDir?: string; bucket?: string } = {}) {
  const started = await startS3Recorder(s3, { CAMERA1_RTSP_URL: cameras.url('/cam'), ...env }, opts);
  running.add(started.recorder);
  return started;
}

const finished = (l: LogLine): boolean => l.msg === 'segment finished';
const keyOf = (camera: string, file: string): string => file.replace(/^(\d{8})-(\d{6}).*\.mp4$/, `${camera}/$1/$2_${camera}.mp4`);
const errors = (recorder: RecorderProcess): LogLine[] => recorder.logs.filter((l) => l.level === 'error' || l.level === 'fatal' || l.level === 'unparsed');

/**
 * Waits until the segment being written is 1.5 s old: a signal then finds ffmpeg mid-segment, not
 * in the instant after a clock boundary opened a new, still empty file. With `minBytes`, until it
 * also holds that much: a fragment is written at each key frame (every 2 s), so a camera that
 * hangs earlier leaves a file with a header only.
 */
async function midSegment(recorder: RecorderProcess, tempDir: string, minBytes = 0): Promise<void> {
  await recorder.until(
    async () => {
      const newest = localSegments(tempDir).at(-1) ?? '';
      const m = /(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})/.exec(newest);
      const age = m ? Date.now() - Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : -1;
      return age >= 1500 && age <= SEGMENT_S * 1000 - 700 && (minBytes === 0 || statSync(join(tempDir, newest)).size >= minBytes);
    },
    30_000,
    `a segment 1.5 s into recording${minBytes > 0 ? ` holding ${minBytes} bytes` : ''}`,
  );
}

describe('shutdown', () => {
  test('SIGTERM right after a restart that found leftovers (and an orphaned ffmpeg), with the camera sending or hung: every segment is stored, TEMP_DIR is empty, leftOnDisk is 0, nothing is logged at error', async () => {
    for (let round = 1; round <= ROUNDS; round++) {
      const orphan = round === 2; // the recorder killed alone: its ffmpeg records on until the next start stops it
      // A hung camera: ffmpeg does not finalize on SIGINT and is killed after stop_timeout; its cut
      // segment is found by the recorder's last sweep, the very last hand-over before the drain.
      const hung = round >= 2;
      const env = { FFMPEG_STOP_TIMEOUT: '2s' };
      const { recorder: crashed, tempDir, bucket } = await startRecorder(env);
      await crashed.waitForCount(finished, 1, 60_000, 'a finished segment');
      // the crash must leave footage: a file with no fragment yet is removed at the next start
      await midSegment(crashed, tempDir, 16 * 1024);
      const ffmpegPid = Number(readFileSync(join(tempDir, 'camera-1', '.ffmpeg.pid'), 'utf8'));
      if (!orphan) process.kill(ffmpegPid, 'SIGKILL');
      await crashed.stop('SIGKILL');
      const leftovers = localSegments(tempDir);
      assert.ok(leftovers.length >= 1, `round ${round}: the crash left a segment`);

      const { recorder } = await startRecorder(env, { tempDir, bucket });
      await recorder.waitForLog((l) => l.msg === 'uploading segments left by an earlier run', 60_000, 'leftovers queued');
      await recorder.waitForCount(finished, 2, 60_000, 'two segments of the new run');
      await midSegment(recorder, tempDir, hung ? 16 * 1024 : 0);
      if (hung) {
        cameras.freeze();
        await new Promise((r) => setTimeout(r, 1000)); // ffmpeg has read what was on the wire and waits
      }
      try {
        assert.deepEqual(await recorder.stop('SIGTERM'), { code: 0, signal: null }, `round ${round}: exit`);
      } finally {
        cameras.thaw();
      }

      assert.deepEqual(localSegments(tempDir), [], `round ${round}: TEMP_DIR holds no segment`);
      const keys = await listKeys(client, bucket);
      const expected = [
        ...leftovers.map((f) => keyOf('camera-1', f.slice('camera-1/'.length))),
        ...[crashed, recorder].flatMap((r) => r.logs.filter(finished).map((l) => keyOf(String(l.camera), String(l.file)))),
      ];
      for (const key of expected) assert.ok(keys.includes(key), `round ${round}: ${key} stored (bucket: ${keys.join(' ')})`);
      const stopped = recorder.logs.find((l) => l.msg === 'stopped');
      assert.equal(stopped?.leftOnDisk, 0, `round ${round}: the stopped line`);
      assert.deepEqual(errors(recorder), [], `round ${round}: nothing at error`);
      assert.deepEqual(errors(crashed), []);
    }
  });

  test("SIGTERM while the service starts and stops an orphaned ffmpeg: the start finishes queuing the orphan's segments, they are stored, exit 0", async () => {
    const { recorder: crashed, tempDir, bucket } = await startRecorder({});
    await crashed.waitForCount(finished, 1, 60_000, 'a finished segment');
    await midSegment(crashed, tempDir);
    const ffmpegPid = Number(readFileSync(join(tempDir, 'camera-1', '.ffmpeg.pid'), 'utf8'));
    await crashed.stop('SIGKILL'); // ffmpeg records on

    const { recorder } = await startRecorder({}, { tempDir, bucket });
    await recorder.waitForLog((l) => l.msg === 'camera-recorder starting', 60_000, 'the start');
    recorder.child.kill('SIGTERM'); // the orphan is being stopped now, or its segments are being queued
    assert.deepEqual(await recorder.exited, { code: 0, signal: null });
    assert.equal(isRunning(ffmpegPid), false, 'the orphaned ffmpeg is gone');
    assert.deepEqual(localSegments(tempDir), [], 'TEMP_DIR holds no segment');
    assert.ok((await listKeys(client, bucket)).filter((k) => k.endsWith('.mp4')).length > crashed.logs.filter(finished).length, "the orphan's segments stored");
    assert.equal(recorder.logs.find((l) => l.msg === 'stopped')?.leftOnDisk, 0);
    assert.deepEqual(errors(recorder), [], 'nothing at error');
  });

  test('the store down at SIGTERM: exit 0, leftOnDisk is the number of segments really left in TEMP_DIR, each named at warn, nothing logged at error', async () => {
    const { recorder, tempDir } = await startRecorder({ SHUTDOWN_GRACE: '3s' });
    await recorder.waitForCount((l) => l.msg === 'segment uploaded', 1, 60_000, 'an upload');
    await s3.stopGateway();
    try {
      await recorder.waitForCount((l) => l.msg === 'upload failed; retrying', 1, 60_000, 'a failed upload');
      await midSegment(recorder, tempDir);
      assert.deepEqual(await recorder.stop('SIGTERM'), { code: 0, signal: null });
    } finally {
      await s3.startGateway();
    }
    const left = localSegments(tempDir);
    assert.ok(left.length >= 2, `segments left: ${left.join(' ')}`);
    assert.equal(recorder.logs.find((l) => l.msg === 'stopped')?.leftOnDisk, left.length, 'leftOnDisk');
    const named = recorder.logs.filter((l) => l.msg === 'segment left on disk for the next start');
    assert.deepEqual(
      named.map((l) => l.level),
      named.map(() => 'warn'),
    );
    assert.deepEqual(named.map((l) => `${String(l.camera)}/${String(l.file)}`).sort(), left);
    assert.deepEqual(errors(recorder), [], 'nothing at error');
  });
});
