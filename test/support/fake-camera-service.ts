// A CameraService kept in memory for the HTTP routes' tests: it records what it was asked, masks
// passwords like the real one, and can be told to fail the next call with a given error.
import {
  CameraChangeError,
  type CameraPatch,
  type CameraService,
  type CameraView,
  type NewCamera,
  type RemovedCamera,
} from '../../src/camera/camera-service.ts';
import { maskUrl } from '../../src/redact.ts';

const T = '2025-12-14T14:00:00.000Z';

export class FakeCameraService implements CameraService {
  readonly cameras = new Map<string, CameraView>();
  /** Every input the routes handed over, as received. */
  readonly calls: { op: string; id?: string; input?: unknown }[] = [];
  /** Thrown by the next add/change/remove instead of doing it. */
  failNext: Error | undefined;
  /** When set, add() waits for it: a request kept in flight. */
  gate: Promise<void> | undefined;

  constructor(configured: string[] = []) {
    for (const id of configured) {
      this.cameras.set(
        id,
        view({ id, source_type: 'rtsp', source_url: `rtsp://192.0.2.1/${id}` }, { origin: 'config', defined_in: 'environment CAMERA1_RTSP_URL' }),
      );
    }
  }

  list(): CameraView[] {
    return [...this.cameras.values()];
  }

  get(id: string): CameraView | undefined {
    return this.cameras.get(id);
  }

  async add(input: NewCamera): Promise<CameraView> {
    this.calls.push({ op: 'add', input });
    await this.gate;
    this.#failIfAsked();
    if (this.cameras.has(input.id)) throw new CameraChangeError('conflict', `camera "${input.id}" exists already`, 'id');
    const v = view(input, {});
    this.cameras.set(input.id, v);
    return v;
  }

  async change(id: string, patch: CameraPatch): Promise<CameraView> {
    this.calls.push({ op: 'change', id, input: patch });
    this.#failIfAsked();
    const old = this.#existing(id);
    if (old.origin === 'config') throw new CameraChangeError('read_only', `camera "${id}" is defined in ${old.defined_in}; change it there`);
    const v: CameraView = {
      ...old,
      ...(patch.source_url ? { source_url: maskUrl(patch.source_url) } : {}),
      ...(patch.labels ? { labels: patch.labels } : {}),
      ...(patch.enabled === undefined ? {} : { enabled: patch.enabled }),
    };
    this.cameras.set(id, v);
    return v;
  }

  async remove(id: string): Promise<RemovedCamera> {
    this.calls.push({ op: 'remove', id });
    this.#failIfAsked();
    const old = this.#existing(id);
    if (old.origin === 'config') throw new CameraChangeError('read_only', `camera "${id}" is defined in ${old.defined_in}; remove it there`);
    this.cameras.delete(id);
    return { id, segments_waiting: 1 };
  }

  #existing(id: string): CameraView {
    const v = this.cameras.get(id);
    if (!v) throw new CameraChangeError('not_found', `no camera "${id}"`, 'id');
    return v;
  }

  #failIfAsked(): void {
    const err = this.failNext;
    this.failNext = undefined;
    if (err) throw err;
  }
}

function view(
  input: Pick<NewCamera, 'id' | 'source_url' | 'labels' | 'enabled' | 'analysis'> & { source_type: NewCamera['source_type'] },
  over: Partial<CameraView>,
): CameraView {
  return {
    id: input.id,
    source_type: input.source_type,
    source_url: maskUrl(input.source_url ?? ''),
    labels: input.labels ?? {},
    enabled: input.enabled ?? true,
    origin: 'api',
    defined_in: null,
    state: 'starting',
    connected: false,
    newest_segment_end: null,
    backlog: { segments: 0, bytes: 0 },
    analysis: input.analysis ?? {},
    video: null,
    created_at: T,
    updated_at: T,
    ...over,
  };
}
