// Camera passwords at rest: a runtime camera's source URL is sealed with AES-256-GCM under the key of
// api.camera_secrets_key (CAMERA_SECRETS_KEY) before it is stored. The camera id is the additional
// authenticated data, so a sealed URL copied into another camera's record does not open.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export interface SealedText {
  alg: 'A256GCM';
  /** base64 of the 12-byte nonce, the 16-byte tag and the ciphertext */
  iv: string;
  tag: string;
  data: string;
}

const HEX_KEY = /^[0-9a-f]{64}$/i;
const BASE64_KEY = /^[A-Za-z0-9+/_-]{43}=?$/;

/** The 32-byte key from its hex or base64 form, or a message saying what is wrong (never the key). */
export function parseSecretsKey(text: string): Buffer | string {
  const t = text.trim();
  if (HEX_KEY.test(t)) return Buffer.from(t, 'hex');
  if (BASE64_KEY.test(t)) {
    const key = Buffer.from(t.replaceAll('-', '+').replaceAll('_', '/'), 'base64');
    if (key.length === 32) return key;
  }
  return `must be 32 bytes as 64 hex characters or 44 base64 characters (got ${t.length} characters); make one with "openssl rand -hex 32"`;
}

export function seal(key: Buffer, plain: string, aad: string): SealedText {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(aad, 'utf8'));
  const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return { alg: 'A256GCM', iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
}

/** Throws when the key is not the one that sealed it, or the record was altered. */
export function unseal(key: Buffer, sealed: SealedText, aad: string): string {
  if (sealed.alg !== 'A256GCM') throw new Error(`unknown algorithm ${String(sealed.alg)}`);
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64')).setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
  return Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]).toString('utf8');
}
