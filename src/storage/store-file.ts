// Storing a file that is not a recorded segment (an event's clip and its JSON): the same proof as
// the uploader's — digests in one read, Content-MD5 on every request, ETag and size checked after.
import { verifyStored } from './etag.ts';
import { fileDigests } from './hash.ts';
import type { ObjectStore, PutInput } from './object-store.ts';

/** Stores the file; throws StoreError ('mismatch' when the store does not keep its bytes). */
export async function storeFile(store: ObjectStore, input: Omit<PutInput, 'digests' | 'size'>): Promise<void> {
  const digests = await fileDigests(input.path, store.partSize, input.signal);
  await store.put({ ...input, size: digests.size, digests });
  verifyStored(input.key, await store.head(input.key, input.signal), digests);
}
