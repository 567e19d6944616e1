// The camera's audio, probed before the first run. A restart after a run that recorded reuses the
// decision (the probe reads seconds of stream: that would be seconds more footage lost per
// reconnect) and probes once the stream flows, beside ffmpeg, to catch a camera whose audio was
// changed meanwhile (confirm). A run that never recorded although the camera answered clears it,
// so the next start probes first; a camera that is down keeps it for when it is back.
import { errorMessage } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { probe } from '../media/ffprobe.ts';
import { planAudio, type AudioDecision } from './audio-plan.ts';

export interface AudioForRun {
  audio: AudioDecision;
  /** The last run's decision, reused: confirm it while this run records (unless `confirmed`). */
  known: AudioDecision | undefined;
  /** The decision came from a probe made while the last run recorded: nothing to confirm. */
  confirmed: boolean;
  from: 'probe' | 'probe while recording' | 'last run';
}

export class AudioCheck {
  #url: string;
  #settings: { ffprobePath: string; rtspTimeoutMs: number };
  #log: Logger;
  /** The audio decision of the last run that recorded: reused at the next restart, and confirmed by a probe while that run records. */
  #known: AudioDecision | undefined;
  /** Set when that probe found the audio changed: the next start uses it without confirming again. */
  #probedWhileRecording = false;
  /**
   * Cleared when a stream ended while that probe had a second connection open (a camera that allows
   * one client drops the first): the camera is then probed before each start instead.
   */
  #confirmBeside = true;

  constructor(deps: { url: string; settings: { ffprobePath: string; rtspTimeoutMs: number }; log: Logger }) {
    this.#url = deps.url;
    this.#settings = deps.settings;
    this.#log = deps.log;
  }

  /** The decision for the next run; throws when the camera cannot be probed. */
  async forRun(signal: AbortSignal): Promise<AudioForRun> {
    const known = this.#confirmBeside ? this.#known : undefined;
    const confirmed = this.#probedWhileRecording;
    this.#probedWhileRecording = false;
    const audio = known ?? (await this.#decide(signal));
    if (audio.warning && !known) this.#log.warn({ codec: audio.codec }, audio.warning);
    return { audio, known, confirmed, from: !known ? 'probe' : confirmed ? 'probe while recording' : 'last run' };
  }

  /**
   * Probes a camera that was started with the last run's audio decision, while it records. Returns
   * the new decision when the camera's audio changed (audio switched on or off in its settings, a
   * firmware update), undefined when it did not or the probe failed (a camera that allows one
   * client only: the decision stays, as it would have without the check).
   */
  async confirm(known: AudioDecision, signal: AbortSignal): Promise<AudioDecision | undefined> {
    try {
      const fresh = await this.#decide(signal);
      if (fresh.plan === known.plan) return undefined;
      this.#log.warn(
        { was: known.plan, wasCodec: known.codec, now: fresh.plan, audioCodec: fresh.codec },
        "the camera's audio changed; restarting ffmpeg with the new audio plan",
      );
      if (fresh.warning) this.#log.warn({ codec: fresh.codec }, fresh.warning);
      return fresh;
    } catch (err) {
      if (!signal.aborted) this.#log.info({ err: errorMessage(err) }, "cannot confirm the camera's audio while it records; keeping the last decision");
      return undefined;
    }
  }

  /** What the run that used `audio` showed: whether it recorded, a changed decision, a stream that ended during the check. */
  async runEnded(run: {
    audio: AudioDecision;
    recorded: boolean;
    changed: AudioDecision | undefined;
    endedWhileConfirming: boolean;
    cameraAnswers: () => Promise<boolean>;
  }): Promise<void> {
    if (run.endedWhileConfirming) {
      this.#confirmBeside = false;
      this.#log.warn(
        "the stream ended while a second connection checked the camera's audio; this camera may allow one client only, so from now on its audio is probed before each start",
      );
    }
    this.#probedWhileRecording = run.changed !== undefined;
    if (run.recorded) this.#known = run.changed ?? run.audio;
    else if (this.#known && (await run.cameraAnswers())) this.#known = undefined; // answers, yet did not record: probe again
  }

  async #decide(signal: AbortSignal): Promise<AudioDecision> {
    const url = this.#url;
    if (url.startsWith('synthetic:')) return { plan: new URL(url).searchParams.get('audio') === 'none' ? 'none' : 'transcode', codec: 'sine' };
    const result = await probe(url, {
      ffprobePath: this.#settings.ffprobePath,
      timeoutMs: this.#settings.rtspTimeoutMs * 2 + 5000,
      rtsp: { timeoutMs: this.#settings.rtspTimeoutMs },
      signal,
    });
    if (!result.streams.some((s) => s.type === 'video')) throw new Error('the camera sends no video stream');
    return planAudio(result.streams.find((s) => s.type === 'audio')?.codec);
  }
}
