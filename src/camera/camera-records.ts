// Where runtime cameras live: one JSON object per camera in the store under `_cameras/` (the only
// state replicas share; "_" cannot start a camera id, so no segment or event key is ever under it),
// and a write-through copy in temp_dir/.cameras, so cameras come back at a start while the store does
// not answer. The store is the truth: whenever it answers a load, the local copy is made to match it.
// A URL with credentials is stored sealed (camera-secrets.ts); the record shows it masked.
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage, StoreError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { maskUrl, rawUserinfo } from '../redact.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import { CAMERA_ID } from '../config/schema.ts';
import { checkAnalysisInput, checkId, checkLabelsInput, checkPushToken, checkSourceUrl } from './camera-input.ts';
import { type SealedText, seal, unseal } from './camera-secrets.ts';
import type { CameraSpec } from './camera-spec.ts';
import type { AnalysisInput } from '../frames/vision-settings.ts';

export const CAMERAS_PREFIX = '_cameras/';
export const CAMERAS_CACHE_DIR = '.cameras';

/** The stored form: everything but the URL's credentials is readable by an operator. */
interface CameraRecord {
  version: 1;
  id: string;
  source_type: CameraSpec['sourceType'];
  /** The URL, masked when `source_url_sealed` holds the real one. */
  source_url: string;
  source_url_sealed?: SealedText;
  /** http_push: the camera's own token, sealed like a password (never stored readable). */
  push_token_sealed?: SealedText;
  labels: Record<string, string>;
  enabled: boolean;
  analysis?: AnalysisInput;
  created_at: string;
  updated_at: string;
}

export interface LoadedCameras {
  from: 'store' | 'cache';
  cameras: CameraSpec[];
}

export const keyOf = (id: string): string => `${CAMERAS_PREFIX}${id}.json`;

export class CameraRecords {
  readonly #store: ObjectStore;
  readonly #dir: string;
  readonly #key: Buffer | undefined;
  readonly #log: Logger;
  /**
   * Saves and deletes: a count, each camera's last (marked when it starts and when it ends), and
   * those under way. A load that overlapped a camera's write read its record before or after it:
   * that camera's local copy is left as the write made it.
   */
  #writes = 0;
  readonly #lastWrite = new Map<string, number>();
  readonly #writing = new Set<string>();

  constructor(deps: { store: ObjectStore; tempDir: string; key: Buffer | undefined; log: Logger }) {
    this.#store = deps.store;
    this.#dir = join(deps.tempDir, CAMERAS_CACHE_DIR);
    this.#key = deps.key;
    this.#log = deps.log;
  }

  /** Why this URL (or push token) cannot be stored, or undefined: a password or a token needs the key. */
  cannotStore(url: string, pushToken?: string): string | undefined {
    const password = rawUserinfo(url)?.password;
    if (this.#key) return undefined;
    if (pushToken !== undefined)
      return 'push tokens are stored only encrypted: set CAMERA_SECRETS_KEY (api.camera_secrets_key) to 32 random bytes, e.g. the output of "openssl rand -hex 32", and restart, or add the camera without a push_token (it then takes the API token)';
    if (password === undefined || password === '') return undefined;
    return 'this URL has a password, and passwords are stored only encrypted: set CAMERA_SECRETS_KEY (api.camera_secrets_key) to 32 random bytes, e.g. the output of "openssl rand -hex 32", and restart, or add the camera without credentials';
  }

  /** Stores the record, then the local copy. Throws StoreError: nothing is changed then. */
  async save(spec: CameraSpec, signal?: AbortSignal): Promise<void> {
    const body = Buffer.from(`${JSON.stringify(this.#encode(spec), null, 2)}\n`);
    await this.#write(spec.id, async () => {
      await this.#store.putBytes({ key: keyOf(spec.id), body, contentType: 'application/json', ...(signal ? { signal } : {}) });
      // the store has it: a local copy that cannot be written costs only a start while the store is down
      await this.#writeCache(spec.id, body).catch((err) =>
        this.#log.warn({ err, camera: spec.id, dir: this.#dir }, 'cannot write the local copy of the camera'),
      );
    });
  }

  async delete(id: string, signal?: AbortSignal): Promise<void> {
    await this.#write(id, async () => {
      await this.#store.delete(keyOf(id), signal);
      await rm(join(this.#dir, `${id}.json`), { force: true }).catch((err) =>
        this.#log.warn({ err, camera: id, dir: this.#dir }, 'cannot delete the local copy of the camera; the store is read at the next start'),
      );
    });
  }

  async #write(id: string, fn: () => Promise<void>): Promise<void> {
    this.#lastWrite.set(id, ++this.#writes);
    this.#writing.add(id);
    try {
      await fn();
    } finally {
      this.#writing.delete(id);
      this.#lastWrite.set(id, ++this.#writes);
    }
  }

  /** The stored cameras; from the local copy when the store does not answer. A record that cannot be read is logged and skipped. */
  async load(signal?: AbortSignal): Promise<LoadedCameras> {
    const writes = this.#writes;
    let raw: Map<string, Buffer>;
    try {
      raw = await this.#readStore(signal);
    } catch (err) {
      this.#log.warn(
        { err: errorMessage(err) },
        'the store does not answer: runtime cameras loaded from the local copy; the store is read again once it answers',
      );
      return { from: 'cache', cameras: this.#decodeAll(await this.#readCache()) };
    }
    const overlapped = (id: string): boolean => this.#writing.has(id) || (this.#lastWrite.get(id) ?? 0) > writes;
    await this.#replaceCache(raw, overlapped).catch((err) => this.#log.warn({ err, dir: this.#dir }, 'cannot update the local copy of the cameras'));
    return { from: 'store', cameras: this.#decodeAll(raw) };
  }

  async #readStore(signal?: AbortSignal): Promise<Map<string, Buffer>> {
    const out = new Map<string, Buffer>();
    for (const key of await this.#store.list(CAMERAS_PREFIX, signal)) {
      if (!key.endsWith('.json')) continue;
      const id = key.slice(CAMERAS_PREFIX.length, -'.json'.length);
      if (!CAMERA_ID.test(id)) {
        // its id would name the local copy's file and the camera's folder: not a record this service wrote
        this.#log.warn({ key }, 'an object under _cameras/ is not named like a camera id; it is not loaded');
        continue;
      }
      const chunks: Buffer[] = [];
      try {
        for await (const chunk of await this.#store.read(key, signal)) chunks.push(Buffer.from(chunk as Uint8Array));
      } catch (err) {
        throw err instanceof StoreError ? err : new StoreError(`read ${key}: ${errorMessage(err)}`, 'other', { cause: err });
      }
      out.set(id, Buffer.concat(chunks));
    }
    return out;
  }

  async #readCache(): Promise<Map<string, Buffer>> {
    const out = new Map<string, Buffer>();
    let names: string[];
    try {
      names = await readdir(this.#dir);
    } catch {
      return out;
    }
    for (const name of names.filter((n) => n.endsWith('.json'))) out.set(name.slice(0, -'.json'.length), await readFile(join(this.#dir, name)));
    return out;
  }

  async #writeCache(id: string, body: Buffer): Promise<void> {
    await mkdir(this.#dir, { recursive: true });
    const tmp = join(this.#dir, `${id}.json.tmp`);
    await writeFile(tmp, body, { mode: 0o600 });
    await rename(tmp, join(this.#dir, `${id}.json`));
  }

  /** The local copy made to match the store, but for cameras written while it was read (`overlapped`): their copy is newer. */
  async #replaceCache(raw: Map<string, Buffer>, overlapped: (id: string) => boolean): Promise<void> {
    for (const [id, body] of raw) if (!overlapped(id)) await this.#writeCache(id, body);
    for (const name of await readdir(this.#dir).catch(() => [] as string[])) {
      const id = name.replace(/\.json(\.tmp)?$/, '');
      if (overlapped(id)) continue;
      if (!raw.has(id) || name.endsWith('.tmp')) await rm(join(this.#dir, name), { force: true });
    }
  }

  #decodeAll(raw: Map<string, Buffer>): CameraSpec[] {
    const out: CameraSpec[] = [];
    for (const [id, body] of [...raw].sort(([a], [b]) => a.localeCompare(b))) {
      try {
        out.push(this.#decode(id, body));
      } catch (err) {
        this.#log.warn({ camera: id, err: errorMessage(err) }, 'stored camera cannot be read; it is not recorded (the other cameras are)');
      }
    }
    return out;
  }

  #encode(spec: CameraSpec): CameraRecord {
    const password = rawUserinfo(spec.url)?.password ?? '';
    if ((password !== '' || spec.pushToken !== undefined) && !this.#key)
      throw new StoreError(`camera ${spec.id}: no CAMERA_SECRETS_KEY to encrypt its password or push token with`, 'other');
    return {
      version: 1,
      id: spec.id,
      source_type: spec.sourceType,
      source_url: maskUrl(spec.url),
      ...(password !== '' && this.#key ? { source_url_sealed: seal(this.#key, spec.url, spec.id) } : {}),
      // the additional data differs from the URL's, so a sealed URL cannot pass for a token or back
      ...(spec.pushToken !== undefined && this.#key ? { push_token_sealed: seal(this.#key, spec.pushToken, `${spec.id}/push_token`) } : {}),
      labels: spec.labels,
      enabled: spec.enabled,
      ...(spec.analysis && { analysis: spec.analysis }),
      created_at: spec.createdAt,
      updated_at: spec.updatedAt,
    };
  }

  #unsealToken(id: string, sealed: SealedText): string {
    if (!this.#key) throw new Error('its push token is encrypted and CAMERA_SECRETS_KEY is not set: set the key it was stored with');
    try {
      return unseal(this.#key, sealed, `${id}/push_token`);
    } catch {
      throw new Error(
        'its push token does not decrypt with CAMERA_SECRETS_KEY: the key is not the one it was stored with (set that key, or remove and add the camera again)',
      );
    }
  }

  /**
   * A record is checked with the API's rules before anything is done with it: its id becomes a
   * folder and a file name (a record keyed `_cameras/../x.json` must not write outside temp_dir),
   * and its URL what ffmpeg opens (a record edited in the bucket must not make it read a file).
   */
  #decode(id: string, body: Buffer): CameraSpec {
    const r = JSON.parse(body.toString('utf8')) as CameraRecord;
    if (r?.version !== 1 || r.id !== id) throw new Error(`not a camera record of version 1 for "${id}"`);
    checkId(id);
    if (r.source_type !== 'rtsp' && r.source_type !== 'synthetic' && r.source_type !== 'http_push')
      throw new Error(`source_type ${JSON.stringify(r.source_type)} cannot be stored: cameras from the API are rtsp, http_push (or synthetic)`);
    let url = r.source_url;
    if (r.source_url_sealed) {
      if (!this.#key) throw new Error('its URL is encrypted and CAMERA_SECRETS_KEY is not set: set the key it was stored with');
      try {
        url = unseal(this.#key, r.source_url_sealed, id);
      } catch {
        throw new Error(
          'its URL does not decrypt with CAMERA_SECRETS_KEY: the key is not the one it was stored with (set that key, or remove and add the camera again)',
        );
      }
    }
    const pushToken = r.push_token_sealed ? this.#unsealToken(id, r.push_token_sealed) : undefined;
    return {
      id,
      sourceType: r.source_type,
      url: checkSourceUrl(url, r.source_type),
      ...(pushToken !== undefined && { pushToken: checkPushToken(pushToken, r.source_type) }),
      labels: checkLabelsInput(r.labels ?? {}),
      enabled: r.enabled !== false,
      ...(r.analysis !== undefined && { analysis: checkAnalysisInput(r.analysis) }),
      origin: 'api',
      definedIn: null,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    };
  }
}
