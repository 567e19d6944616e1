// The WebSocket at /api/ws through the real CLI: a GStreamer camera whose picture the test switches,
// the analysis on. A client with the token gets the camera's state first, then the motion and
// health events the frame pipeline raises, each a valid envelope; without the token the handshake
// is a 401; stopping the recorder closes the client with 1001.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { assertCameraState, assertEnvelope } from '../support/event-schema.ts';
import { freePort } from '../support/ports.ts';
import { RecorderProcess } from '../support/recorder-process.ts';
import { type RtspServer, startRtspServer } from '../support/rtsp-server.ts';
import { WsClient } from '../support/ws-client.ts';

const TOKEN = 'websocket-e2e-token-7d3e';
/** Key frames come every 2 s; a problem needs a few of them, and a loaded machine lags. */
const EVENT_TIMEOUT_MS = 120_000;

let camera: RtspServer;
let recorder: RecorderProcess;

before(async () => {
  // still at first: no motion (and so no motion event) before the client is there
  camera = await startRtspServer({ mounts: { '/cam': 'none' } });
  await camera.setPicture('/cam', 'static');
  const root = mkdtempSync(join(tmpdir(), 'websocket-'));
  recorder = new RecorderProcess(
    {
      STORAGE: 'filesystem',
      FILESYSTEM_ROOT: join(root, 'store'),
      TEMP_DIR: join(root, 'tmp'),
      API_TOKEN: TOKEN,
      CAMERA1_RTSP_URL: camera.url('/cam'),
      SEGMENT_DURATION: '30s',
      LOG_LEVEL: 'debug',
      ANALYSIS_ENABLED: 'true',
    },
    await freePort(),
  );
  await recorder.until(async () => (await recorder.get('/health')).status === 200, 60_000, 'the HTTP server');
});
after(async () => {
  await recorder?.stop();
  await camera?.stop();
});

const url = (query = ''): string => `ws://127.0.0.1:${recorder.port}/api/ws${query}`;

test('without the token, or with a wrong one, the handshake is a 401', async () => {
  assert.equal((await WsClient.refused(url())).status, 401);
  assert.equal((await WsClient.refused(url(), { token: 'wrong-token-1234' })).status, 401);
  assert.equal((await WsClient.refused(url('?token=wrong-token-1234'))).status, 401);
});

test('a client with the token gets the camera state first, then motion and health events from the frame pipeline; stopping closes it with 1001', async () => {
  const client = await WsClient.open(url('?type=motion.*,health.*'), { token: TOKEN });
  const first = await client.next('the state', () => true);
  assert.equal(first.type, 'state');
  assert.equal(first.camera_id, 'camera-1');
  assertCameraState(first.state);
  assert.equal(await recorder.metric('camera_event_websocket_clients'), 1);

  let from = client.messages.length;
  await camera.setPicture('/cam', 'ball');
  await client.next('motion.detected with the ball', (m) => m.type === 'motion.detected', from, EVENT_TIMEOUT_MS);
  from = client.messages.length;
  await camera.setPicture('/cam', 'black');
  await client.next('health.problem black', (m) => m.type === 'health.problem' && (m.data as { problem: string }).problem === 'black', from, EVENT_TIMEOUT_MS);

  const [state, ...envelopes] = client.messages;
  assert.equal(state?.type, 'state');
  for (const e of envelopes) {
    assertEnvelope(e);
    assert.match(String(e.type), /^(motion|health)\./, 'the type filter holds');
    assert.equal(e.camera_id, 'camera-1');
  }
  assert.ok((await recorder.metric('camera_events_published_total', { sink: 'websocket' })) >= envelopes.length);
  assert.equal(await recorder.metric('camera_events_dropped_total', { sink: 'websocket' }), 0);

  const stopped = recorder.stop();
  const closed = await client.closed;
  assert.equal(closed.code, 1001);
  assert.equal((await stopped).code, 0);
  assert.ok(!recorder.raw.some((l) => l.includes(TOKEN)), 'the token is in no log line');
});
