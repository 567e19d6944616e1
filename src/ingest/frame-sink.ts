// Cameras that do not stream send frames one at a time: POSTed JPEGs (http_push) or entries of a
// Redis stream (redis_stream). Both hand each frame to the camera's sink, which records it into the
// camera's segments and analyses it like a key frame of an RTSP camera.

export interface PushedFrame {
  /** One complete JPEG picture. */
  jpeg: Buffer;
  /** When the picture was taken (ms since the epoch): the sender's time when it gave one, else when it arrived. */
  capturedAtMs: number;
}

export interface FrameSink {
  /**
   * Takes one frame. Resolves once the frame is handed to the recording, so a source that
   * acknowledges frames (a Redis consumer group) acknowledges only what was taken; rejects when it
   * was not (the camera is stopping, or the picture is not a JPEG it can record).
   */
  push(frame: PushedFrame): Promise<void>;
}
