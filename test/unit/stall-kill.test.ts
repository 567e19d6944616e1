// The stall watchdog must kill, not only ask: an ffmpeg blocked in a network read ignores SIGINT,
// so a watchdog that only sent SIGINT would leave a stalled camera unrecorded for the whole
// stop_timeout. The real ffmpeg cannot be made to hang like that on demand (the e2e stall test's
// ffmpeg obeys SIGINT), so here one camera's recorder runs test/support/stuck-ffmpeg.mjs, which
// ignores SIGINT, with a stop_timeout of 10 minutes: within this test's waits, only the watchdog's
// SIGKILL can end it. Also: a normal shutdown right after ffmpeg opened a segment leaves an empty
// (or header-only) file, which is removed at info, never handed on (the uploader would quarantine it).
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { CameraRecorder } from '../../src/camera/recorder.ts';
import { systemClock } from '../../src/clock.ts';
import { createLogger } from '../../src/logger.ts';
import { createMetrics } from '../../src/metrics.ts';
import { Redactor } from '../../src/redact.ts';
import type { FinishedSegment } from '../../src/segment.ts';
import { alive, IGNORES_SIGINT, planRuns, readJournal, STUCK_FFMPEG, type JournalLine, type StuckMode } from '../support/stuck-ffmpeg.ts';
import { until } from '../support/until.ts';

const STALL_TIMEOUT_MS = 6000;

interface Rig {
  recorder: CameraRecorder;
  metrics: ReturnType<typeof createMetrics>;
  lines: string[];
  handedOn: FinishedSegment[];
  cameraDir: string;
  journal: () => JournalLine[];
  /** Called (synchronously) with every log line as the recorder writes it. */
  onLine: (hook: (line: string) => void) => void;
  /** Stops the recorder; a fixture left ignoring SIGINT (a failed test) is SIGKILLed, not sat out. */
  stop: () => Promise<void>;
}

function startRecorder(runs: StuckMode[]): Rig {
  const tempDir = mkdtempSync(join(tmpdir(), 'stall-kill-'));
  planRuns(tempDir, runs);
  const journal = (): JournalLine[] => readJournal(tempDir);
  const lines: string[] = [];
  const hooks: ((line: string) => void)[] = [];
  const log = createLogger(
    'info',
    new Redactor(),
    new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        for (const hook of hooks) hook(String(chunk));
        cb();
      },
    }),
  );
  const metrics = createMetrics();
  const handedOn: FinishedSegment[] = [];
  const recorder = new CameraRecorder({
    camera: { id: 'cam', url: 'synthetic:?audio=none' }, // no audio probe: nothing else is started
    settings: {
      tempDir,
      segmentDurationMs: 4000,
      rtspTimeoutMs: 3000,
      stallTimeoutMs: STALL_TIMEOUT_MS,
      restartInitialMs: 100,
      restartMaxMs: 200,
      stableAfterMs: 60_000,
      stopTimeoutMs: 10 * 60_000,
      ffmpegPath: STUCK_FFMPEG,
      ffprobePath: 'ffprobe',
    },
    log,
    metrics,
    clock: systemClock,
    onSegment: (segment) => handedOn.push(segment),
  });
  recorder.start();
  return {
    recorder,
    metrics,
    lines,
    handedOn,
    journal,
    cameraDir: join(tempDir, 'cam'),
    onLine: (hook) => hooks.push(hook),
    stop: async () => {
      const stopped = recorder.stop();
      for (const { pid, mode } of journal()) if (mode && IGNORES_SIGINT.includes(mode) && alive(pid)) process.kill(pid, 'SIGKILL');
      await stopped;
    },
  };
}

async function sample(
  metric: { get(): Promise<{ values: { value: number; labels: Record<string, string | number | undefined> }[] }> },
  labels: Record<string, string>,
): Promise<number> {
  const { values } = await metric.get();
  return values.filter((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want)).reduce((sum, v) => sum + v.value, 0);
}

const parsed = (lines: string[]): Record<string, unknown>[] => lines.map((l) => JSON.parse(l) as Record<string, unknown>);

/**
 * Runs a first ffmpeg (`first`) that ends up ignoring SIGINT, then a recording one, and shows that
 * the first was SIGKILLed by the watchdog: gone, with its SIGINTs ignored, ended by SIGKILL, and
 * the recorder moved on to a second ffmpeg that records. `marker` is the log line after which the
 * stalled ffmpeg must still be alive with camera_stream_connected at 0.
 */
async function provesKill(first: 'stall-after-progress' | 'silent', marker: string): Promise<void> {
  const rig = startRecorder([first, 'record']);
  let atMarker: { alive: boolean; connected: Promise<number> } | undefined;
  rig.onLine((line) => {
    if (atMarker || !line.includes(marker)) return;
    // after the recorder's synchronous reaction to the marker, before any timer (the watchdog's SIGKILL) can run
    queueMicrotask(() => {
      const pid = rig.journal()[0]?.pid;
      atMarker = { alive: pid !== undefined && alive(pid), connected: sample(rig.metrics.streamConnected, { camera_id: 'cam' }) };
    });
  });
  try {
    const [stalled] = await until('a second ffmpeg started after the stalled one', () => {
      const starts = rig.journal().filter((l) => l.event === 'started');
      return starts.length >= 2 ? starts : undefined;
    });
    await until('the second ffmpeg recording', () => rig.lines.filter((l) => l.includes('"stream connected"')).length >= (first === 'silent' ? 1 : 2));

    assert.ok(atMarker, `logged "${marker}"`);
    assert.equal(atMarker.alive, true, 'the stalled ffmpeg was still running when the stream was counted as disconnected');
    assert.equal(await atMarker.connected, 0, 'camera_stream_connected was 0 while the stalled ffmpeg still ran');

    assert.equal(alive(stalled!.pid), false, 'the stalled ffmpeg is gone');
    const ignored = rig.journal().filter((l) => l.pid === stalled!.pid && l.event === 'sigint-ignored').length;
    assert.ok(ignored >= 1, 'it was asked with SIGINT first (and ignored it)');
    const exit = parsed(rig.lines).find((l) => l.msg === 'ffmpeg exited; restarting');
    assert.equal(exit?.reason, 'stalled');
    assert.equal(exit?.signal, 'SIGKILL', 'ended by SIGKILL (it ignores SIGINT; stop_timeout is 10 min)');

    const gap = await sample(rig.metrics.recordingGap, { camera_id: 'cam', reason: 'stalled' });
    assert.ok(gap > 0, `the gap counted as stalled: ${gap} s`);
    assert.equal(parsed(rig.lines).filter((l) => l.level === 'error').length, 0, 'nothing logged at error');
  } finally {
    await rig.stop();
  }
}

test('an ffmpeg that stalls after reporting progress and ignores SIGINT: stream counted as disconnected while it hangs, then SIGKILLed by the watchdog, restarted, the gap counted as stalled', async () => {
  await provesKill('stall-after-progress', 'stream counted as disconnected');
});

test('an ffmpeg that never reports progress and ignores SIGINT: SIGKILLed by the watchdog, restarted, the gap counted as stalled', async () => {
  await provesKill('silent', 'no progress from ffmpeg; stopping it');
});

for (const mode of ['empty-segment', 'header-segment'] as const) {
  test(`a normal shutdown right after ffmpeg opened a segment (${mode}): the frameless file is removed at info, not handed on, no error`, async () => {
    const rig = startRecorder([mode]);
    let name: string;
    try {
      name = (await until('ffmpeg opening a segment', () => rig.journal().find((l) => l.event === 'segment'))).name!;
    } finally {
      await rig.stop();
    }
    assert.ok(
      rig.journal().some((l) => l.event === 'sigint-exit'),
      'ffmpeg was stopped with SIGINT and exited',
    );
    assert.deepEqual(rig.handedOn, [], 'nothing handed on to the uploader (it would quarantine the file)');
    assert.deepEqual(
      readdirSync(rig.cameraDir).filter((n) => n.endsWith('.mp4')),
      [],
      'the file is removed',
    );
    const removed = parsed(rig.lines).find((l) => l.file === name && l.level === 'info');
    assert.equal(removed?.msg, 'segment holds no frame (ffmpeg stopped right after opening it); removed');
    assert.equal(parsed(rig.lines).filter((l) => l.level === 'error').length, 0, 'nothing logged at error');
  });
}
