// Reads back what the recorder stored: keys, bytes, metadata, and what ffprobe says of each object.
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { probeFile, type Probed } from './media.ts';

export interface StoredSegment {
  key: string;
  size: number;
  sha256: string;
  metadata: Record<string, string>;
  probe: Probed;
}

export async function listKeys(client: S3Client, bucket: string, prefix = ''): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const out = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of out.Contents ?? []) keys.push(o.Key!);
    token = out.NextContinuationToken;
  } while (token);
  return keys.sort();
}

export async function fetchSegment(client: S3Client, bucket: string, key: string): Promise<StoredSegment> {
  const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const bytes = Buffer.from(await out.Body!.transformToByteArray());
  const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  const file = join(mkdtempSync(join(tmpdir(), 'fetched-')), 'segment.mp4');
  writeFileSync(file, bytes);
  return {
    key,
    size: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    metadata: head.Metadata ?? {},
    probe: probeFile(file),
  };
}

/** .mp4 files still in a recorder's temp dir, any camera, in name (= time) order per camera. */
export function localSegments(tempDir: string): string[] {
  const out: string[] = [];
  for (const cam of readdirSync(tempDir, { withFileTypes: true })) {
    if (!cam.isDirectory() || cam.name.startsWith('.')) continue;
    for (const f of readdirSync(join(tempDir, cam.name))) if (f.endsWith('.mp4')) out.push(`${cam.name}/${f}`);
  }
  return out.sort();
}
