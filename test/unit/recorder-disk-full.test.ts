// One camera's recorder with a real ffmpeg (a synthetic camera) writing to a real tmpfs that is
// full: ffmpeg fails with ENOSPC, the recorder asks for space through onDiskFull (the backlog
// guard's job; here the test frees it) and records again at the next restart.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CameraRecorder } from '../../src/camera/recorder.ts';
import { systemClock } from '../../src/clock.ts';
import { createMetrics } from '../../src/metrics.ts';
import type { FinishedSegment } from '../../src/segment.ts';
import { lineLogger } from '../support/line-logger.ts';

test('ffmpeg fails with ENOSPC: onDiskFull is called, the gap is counted as disk_full, and recording resumes once space is freed', async () => {
  const tempDir = mkdtempSync(join(tmpdir(), 'recorder-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4M', 'tmpfs', tempDir]);
  const filler = join(tempDir, 'filler');
  try {
    const fd = openSync(filler, 'w');
    try {
      for (;;) writeSync(fd, Buffer.alloc(64 * 1024));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
    } finally {
      closeSync(fd);
    }
    const { log, lines } = lineLogger();
    const segments: FinishedSegment[] = [];
    let diskFullCalls = 0;
    const metrics = createMetrics();
    const recorder = new CameraRecorder({
      camera: { id: 'cam', url: 'synthetic:?size=160x120&fps=15&audio=none' },
      settings: {
        tempDir,
        segmentDurationMs: 2000,
        rtspTimeoutMs: 3000,
        stallTimeoutMs: 20_000,
        restartInitialMs: 200,
        restartMaxMs: 400,
        stableAfterMs: 60_000,
        stopTimeoutMs: 10_000,
        ffmpegPath: 'ffmpeg',
        ffprobePath: 'ffprobe',
      },
      log,
      metrics,
      clock: systemClock,
      onSegment: (segment) => {
        segments.push(segment);
        rmSync(segment.path);
      },
      onDiskFull: () => {
        diskFullCalls++;
        rmSync(filler, { force: true }); // what the backlog guard would do: free space at once
      },
    });
    recorder.start();
    try {
      for (const deadline = Date.now() + 60_000; !segments.some((s) => s.listedDurationSec !== undefined); ) {
        if (Date.now() > deadline) throw new Error(`no segment recorded after the disk was freed:\n${lines.slice(-20).join('')}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await recorder.stop();
    }
    assert.ok(diskFullCalls >= 1, 'onDiskFull called');
    const gap = (await metrics.recordingGap.get()).values.find((v) => v.labels.reason === 'disk_full')?.value ?? 0;
    assert.ok(gap > 0, `disk_full gap counted: ${gap} s`);
    assert.equal(lines.filter((l) => l.includes('"level":"error"') && l.includes('disk full')).length, 1, 'one error line for the episode');
  } finally {
    rmSync(filler, { force: true });
    execFileSync('umount', ['--lazy', tempDir]);
    rmSync(tempDir, { recursive: true, force: true });
  }
});
