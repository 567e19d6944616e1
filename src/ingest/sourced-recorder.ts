// A camera whose frames come from a source the recorder reads (a Redis stream): the source hands
// each frame to the camera's push recorder, which records and analyses it like a pushed one. The
// camera is connected while both are: the source reads, and frames reach the recording.
import type { Recorder } from '../camera/camera-view.ts';
import type { FrameSink } from './frame-sink.ts';

export interface FrameSource {
  readonly connected: boolean;
  start(): void;
  stop(): Promise<void>;
}

export class SourcedRecorder implements Recorder {
  readonly #recorder: Recorder & FrameSink;
  readonly #source: FrameSource;

  /** `source` must hand its frames to `recorder` (made with it as the sink). */
  constructor(recorder: Recorder & FrameSink, source: FrameSource) {
    this.#recorder = recorder;
    this.#source = source;
  }

  get id(): string {
    return this.#recorder.id;
  }
  get state(): Recorder['state'] {
    return this.#recorder.state;
  }
  get connected(): boolean {
    return this.#source.connected && this.#recorder.connected;
  }
  get newestSegmentEndMs(): number | undefined {
    return this.#recorder.newestSegmentEndMs;
  }
  get notRecording(): Recorder['notRecording'] {
    return this.#recorder.notRecording;
  }
  get vision(): Recorder['vision'] {
    return this.#recorder.vision;
  }
  get snapshot(): Recorder['snapshot'] {
    return this.#recorder.snapshot;
  }

  start(): void {
    this.#recorder.start();
    this.#source.start();
  }

  /** The source first, so no frame arrives at a recorder that is finishing its segment. */
  async stop(): Promise<void> {
    await this.#source.stop();
    await this.#recorder.stop();
  }
}
