import { test } from 'node:test';
import { PutObjectCommand, CreateBucketCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { startS3Server, s3Client } from './support/s3-server.ts';
test('dbg', async () => {
  const s3 = await startS3Server();
  const c = s3Client(s3);
  await c.send(new CreateBucketCommand({ Bucket: 'b' }));
  await c.send(new PutObjectCommand({ Bucket: 'b', Key: 'k/x.mp4', Body: 'hello' }));
  const url = await getSignedUrl(c, new GetObjectCommand({ Bucket: 'b', Key: 'k/x.mp4' }), { expiresIn: 900 });
  console.log(url.replace(/Signature=\w+/, 'Signature=…'));
  const r = await fetch(url); console.log(r.status, await r.text());
  const u2 = new URL(url); u2.searchParams.delete('x-id');
  await s3.stop();
});
