// Recorder settings for tests that run a real recorder: short timeouts and restarts, a given temp dir.
import type { RecorderSettings } from '../../src/camera/recorder.ts';

export function recorderSettings(tempDir: string, overrides: Partial<RecorderSettings> = {}): RecorderSettings {
  return {
    tempDir,
    segmentDurationMs: 4000,
    rtspTimeoutMs: 3000,
    stallTimeoutMs: 20_000,
    restartInitialMs: 100,
    restartMaxMs: 1000,
    stableAfterMs: 60_000,
    stopTimeoutMs: 10_000,
    ffmpegPath: 'ffmpeg',
    ffprobePath: 'ffprobe',
    ...overrides,
  };
}
