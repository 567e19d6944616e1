// The real CLI with test/support/stuck-ffmpeg.mjs as FFMPEG_PATH: an ffmpeg that ignores SIGINT
// (as one blocked in a network read does), and one stopped right after it opened a segment.
// test/unit/stall-kill.test.ts shows the same in-process, with the gauge read at the exact moment;
// here it is what an SRE sees: the configuration by environment, /metrics, the log, the exit.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { freePort } from '../support/ports.ts';
import { RecorderProcess } from '../support/recorder-process.ts';
import { alive, IGNORES_SIGINT, planRuns, readJournal, STUCK_FFMPEG, type JournalLine, type StuckMode } from '../support/stuck-ffmpeg.ts';

const running = new Set<RecorderProcess>();
const stubborn = new Set<number>();

after(async () => {
  for (const r of running) await r.stop('SIGKILL');
  // a fixture left ignoring SIGINT by a failed test: the recorder's SIGKILL went with it
  for (const pid of stubborn) if (alive(pid)) process.kill(pid, 'SIGKILL');
});

async function startRecorder(
  runs: StuckMode[],
  env: Record<string, string> = {},
): Promise<{ recorder: RecorderProcess; tempDir: string; journal: () => JournalLine[] }> {
  const tempDir = mkdtempSync(join(tmpdir(), 'stuck-ffmpeg-'));
  planRuns(tempDir, runs);
  const journal = (): JournalLine[] => {
    const lines = readJournal(tempDir);
    for (const l of lines) if (l.mode && IGNORES_SIGINT.includes(l.mode)) stubborn.add(l.pid);
    return lines;
  };
  const recorder = new RecorderProcess(
    {
      STORAGE: 'filesystem',
      FILESYSTEM_ROOT: mkdtempSync(join(tmpdir(), 'stuck-ffmpeg-store-')),
      TEMP_DIR: tempDir,
      CAMERA1_RTSP_URL: 'synthetic:?audio=none', // no audio probe: the fixture is the only child
      FFMPEG_PATH: STUCK_FFMPEG,
      SEGMENT_DURATION: '4s',
      RESTART_INITIAL: '100ms',
      RESTART_MAX: '200ms',
      // far past every wait below: only the watchdog's SIGKILL can end an ffmpeg that ignores SIGINT
      FFMPEG_STOP_TIMEOUT: '10m',
      ...env,
    },
    await freePort(),
  );
  running.add(recorder);
  return { recorder, tempDir, journal };
}

describe('an ffmpeg that does not do what it is asked, end to end', () => {
  test('stalls after progress and ignores SIGINT: camera_stream_connected 0 while it hangs, SIGKILLed by the watchdog, restarted, the gap counted as stalled', async () => {
    // the stream counts as disconnected after 5 s without progress; the watchdog asks at 10 s and kills at 12 s
    const { recorder, journal } = await startRecorder(['stall-after-progress', 'record'], { STALL_TIMEOUT: '12s' });
    await recorder.waitForLog((l) => l.msg === 'stream connected', 60_000, 'the first ffmpeg reporting progress');
    const stalled = journal()[0]!;
    await recorder.waitForLog((l) => l.msg === 'no frames from the camera; stream counted as disconnected', 60_000, 'the stream counted as disconnected');
    await recorder.until(async () => (await recorder.metric('camera_stream_connected', { camera_id: 'camera-1' })) === 0, 60_000, 'camera_stream_connected 0');
    assert.ok(alive(stalled.pid), 'camera_stream_connected fell while the stalled ffmpeg still ran');

    const exit = await recorder.waitForLog((l) => l.msg === 'ffmpeg exited; restarting', 60_000, 'the stalled ffmpeg ended');
    assert.equal(exit.reason, 'stalled');
    assert.equal(exit.signal, 'SIGKILL', 'ended by SIGKILL: it ignores SIGINT, and FFMPEG_STOP_TIMEOUT is 10 minutes');
    assert.equal(alive(stalled.pid), false, 'the stalled ffmpeg is gone');
    assert.ok(
      journal().some((l) => l.pid === stalled.pid && l.event === 'sigint-ignored'),
      'asked with SIGINT first',
    );

    await recorder.waitForCount((l) => l.msg === 'stream connected', 2, 60_000, 'a second ffmpeg recording');
    assert.equal(journal().filter((l) => l.event === 'started').length, 2, 'restarted once');
    assert.equal(await recorder.metric('camera_stream_connected', { camera_id: 'camera-1' }), 1);
    const gap = await recorder.metric('camera_recording_gap_seconds_total', { camera_id: 'camera-1', reason: 'stalled' });
    assert.ok(gap > 0, `the gap counted as stalled: ${gap} s`);
    assert.deepEqual(await recorder.stop(), { code: 0, signal: null });
    assert.equal(recorder.logs.filter((l) => l.level === 'error' || l.level === 'fatal').length, 0, 'nothing logged at error');
  });

  test('a normal shutdown right after ffmpeg opened an empty segment: removed at info, nothing quarantined, nothing logged at error', async () => {
    const { recorder, tempDir, journal } = await startRecorder(['empty-segment']);
    await recorder.until(async () => journal().some((l) => l.event === 'segment'), 60_000, 'ffmpeg opening a segment');
    await recorder.until(async () => (await recorder.get('/ready')).status === 200, 60_000, 'the service ready');
    const name = journal().find((l) => l.event === 'segment')!.name!;
    assert.deepEqual(await recorder.stop(), { code: 0, signal: null });

    assert.ok(
      journal().some((l) => l.event === 'sigint-exit'),
      'ffmpeg was stopped with SIGINT',
    );
    const removed = recorder.logs.find((l) => l.file === name && l.msg === 'segment holds no frame (ffmpeg stopped right after opening it); removed');
    assert.equal(removed?.level, 'info');
    assert.deepEqual(
      recorder.logs.filter((l) => l.msg === 'segment quarantined, not uploaded'),
      [],
      'nothing quarantined',
    );
    const quarantine = join(tempDir, '.quarantine');
    assert.deepEqual(existsSync(quarantine) ? readdirSync(quarantine, { recursive: true }) : [], [], 'the quarantine folder is empty');
    assert.equal(recorder.logs.find((l) => l.msg === 'stopped')?.leftOnDisk, 0, 'nothing left on disk');
    assert.equal(recorder.logs.filter((l) => l.level === 'error' || l.level === 'fatal').length, 0, 'nothing logged at error');
  });
});
