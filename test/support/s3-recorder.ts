// The real CLI recording into a fresh bucket of the test S3 server: the setting every end-to-end
// test of the data path starts from. Segments are 4 s long so that every scenario sees several.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.ts';
import { RecorderProcess } from './recorder-process.ts';
import type { S3Server } from './s3-server.ts';

export const SEGMENT_S = 4;
let bucketNo = 0;

/** `env` wins over the defaults; a given tempDir and bucket are reused (a restart). */
export async function startS3Recorder(
  s3: S3Server,
  env: Record<string, string>,
  opts: { tempDir?: string; bucket?: string } = {},
): Promise<{ recorder: RecorderProcess; tempDir: string; bucket: string }> {
  const tempDir = opts.tempDir ?? mkdtempSync(join(tmpdir(), 'recorder-'));
  const bucket = opts.bucket ?? `recordings-${process.pid}-${++bucketNo}`;
  const recorder = new RecorderProcess(
    {
      S3_ENDPOINT: s3.endpoint,
      S3_ACCESS_KEY_ID: s3.accessKeyId,
      S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
      S3_BUCKET: bucket,
      TEMP_DIR: tempDir,
      SEGMENT_DURATION: `${SEGMENT_S}s`,
      RTSP_TIMEOUT: '3s',
      STALL_TIMEOUT: '10s',
      RESTART_MAX: '2s',
      UPLOAD_RETRY_MAX: '2s',
      SHUTDOWN_GRACE: '30s',
      ...env,
    },
    await freePort(),
  );
  return { recorder, tempDir, bucket };
}
