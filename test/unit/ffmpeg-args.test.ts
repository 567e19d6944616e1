import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ffmpegArgs, type FfmpegArgsInput } from '../../src/camera/ffmpeg-args.ts';

const RISING_PTS = "settb=1/1000,setpts='if(isnan(PREV_OUTPTS)\\,RTCTIME/1000\\,max(RTCTIME/1000\\,PREV_OUTPTS+1))'";
import { planAudio } from '../../src/camera/audio-plan.ts';

const base: FfmpegArgsInput = {
  url: 'rtsp://u:p@cam/s',
  audio: 'copy',
  segmentSeconds: 900,
  rtspTimeoutMs: 10_000,
  outDir: '/spool/cam',
  listPath: '/spool/cam/.segment-list/segments.csv',
};
const after = (args: string[], flag: string): string | undefined => args[args.indexOf(flag) + 1];

test('RTSP input uses TCP and a socket timeout in microseconds, before -i', () => {
  const args = ffmpegArgs(base);
  assert.equal(after(args, '-rtsp_transport'), 'tcp');
  assert.equal(after(args, '-timeout'), '10000000');
  assert.ok(args.indexOf('-timeout') < args.indexOf('-i'));
  assert.equal(after(args, '-i'), 'rtsp://u:p@cam/s');
  assert.ok(!args.includes('-stimeout'));
});

test('video is stream-copied and cut into clock-aligned fragmented MP4 segments', () => {
  const args = ffmpegArgs(base);
  assert.equal(after(args, '-c:v'), 'copy');
  assert.equal(after(args, '-f'), 'segment');
  assert.equal(after(args, '-segment_time'), '900');
  assert.equal(after(args, '-segment_atclocktime'), '1');
  assert.equal(after(args, '-reset_timestamps'), '1');
  assert.equal(after(args, '-strftime'), '1');
  assert.equal(after(args, '-segment_format'), 'mp4');
  assert.equal(after(args, '-segment_format_options'), 'movflags=+frag_keyframe+empty_moov+default_base_moof:flush_packets=1');
  assert.equal(after(args, '-segment_list'), '/spool/cam/.segment-list/segments.csv');
  assert.equal(after(args, '-segment_list_type'), 'csv');
  assert.equal(after(args, '-progress'), 'pipe:1');
  assert.equal(after(args, '-stats_period'), '2');
  assert.equal(args.at(-1), '/spool/cam/%Y%m%d-%H%M%S.mp4');
});

test('audio: AAC copied, G.711 transcoded to 24k AAC, none dropped', () => {
  assert.deepEqual(
    ffmpegArgs(base).filter((a) => a.startsWith('0:')),
    ['0:v:0', '0:a:0?'],
  );
  assert.equal(after(ffmpegArgs(base), '-c:a'), 'copy');
  const t = ffmpegArgs({ ...base, audio: 'transcode' });
  assert.equal(after(t, '-c:a'), 'aac');
  assert.equal(after(t, '-b:a'), '24k');
  const n = ffmpegArgs({ ...base, audio: 'none' });
  assert.ok(n.includes('-an') && !n.includes('0:a:0?'));
});

test('the audio plan follows the codec the camera sends', () => {
  assert.equal(planAudio('aac').plan, 'copy');
  assert.equal(planAudio('pcm_alaw').plan, 'transcode');
  assert.equal(planAudio('pcm_mulaw').plan, 'transcode');
  assert.equal(planAudio(undefined).plan, 'none');
  const opus = planAudio('opus');
  assert.equal(opus.plan, 'none');
  assert.match(opus.warning ?? '', /opus cannot be stored in MP4/);
});

test('a synthetic camera is generated and encoded by ffmpeg with a 2-second GOP', () => {
  const args = ffmpegArgs({ ...base, url: 'synthetic:?size=320x240&fps=10', audio: 'transcode' });
  assert.equal(after(args, '-i'), 'testsrc2=size=320x240:rate=10');
  assert.equal(after(args, '-c:v'), 'libx264');
  assert.equal(after(args, '-g'), '20');
  assert.ok(!args.includes('-rtsp_transport'));
});

test('a file camera is read in real time in an endless loop and stream-copied, with no RTSP options', () => {
  const args = ffmpegArgs({ ...base, url: 'file:/videos/loop.mp4', audio: 'copy' });
  const i = args.indexOf('-i');
  assert.deepEqual(args.slice(i - 3, i + 2), ['-re', '-stream_loop', '-1', '-i', 'file:/videos/loop.mp4']);
  assert.equal(after(args, '-c:v'), 'copy');
  assert.equal(after(args, '-c:a'), 'copy');
  assert.ok(!args.includes('-rtsp_transport') && !args.includes('-timeout'));
});

test('the frame tap is off by default and, when on, adds key-frame-only decoding and a gray raw output after the recording', () => {
  const plain = ffmpegArgs(base);
  assert.ok(!plain.includes('-skip_frame') && !plain.some((a) => a.startsWith('pipe:3')));
  const tapped = ffmpegArgs({ ...base, frames: { width: 320, height: 180, pipeFd: 3 } });
  // Decoder options are input options: before everything about the input, after the global flags.
  const inputAt = tapped.indexOf('-rtsp_transport');
  assert.deepEqual(tapped.slice(inputAt - 4, inputAt), ['-skip_frame', 'nokey', '-threads', '1']);
  // The recording's own arguments are untouched; the tap is a second output after the segment pattern.
  const segmentAt = tapped.indexOf('/spool/cam/%Y%m%d-%H%M%S.mp4');
  assert.deepEqual([...tapped.slice(0, inputAt - 4), ...tapped.slice(inputAt, segmentAt + 1)], plain);
  // biome-ignore format: ffmpeg arguments read as flag-value pairs
  assert.deepEqual(tapped.slice(segmentAt + 1), [
    '-map', '0:v:0', '-an',
    '-vf', `${RISING_PTS},scale=320:180:flags=fast_bilinear,format=gray`,
    '-fps_mode', 'passthrough', '-enc_time_base', '1:1000',
    '-c:v', 'rawvideo', '-f', 'tee', '[f=rawvideo:onfail=ignore]pipe\\:3|[f=null]/dev/null',
  ]);
});

test('snapshots, when on, decode key frames only and add a scaled JPEG output per key frame after the recording', () => {
  const plain = ffmpegArgs(base);
  const snap = ffmpegArgs({ ...base, snapshots: { width: 640, pipeFd: 4 } });
  const inputAt = snap.indexOf('-rtsp_transport');
  assert.deepEqual(snap.slice(inputAt - 4, inputAt), ['-skip_frame', 'nokey', '-threads', '1']);
  const segmentAt = snap.indexOf('/spool/cam/%Y%m%d-%H%M%S.mp4');
  assert.deepEqual([...snap.slice(0, inputAt - 4), ...snap.slice(inputAt, segmentAt + 1)], plain);
  // biome-ignore format: ffmpeg arguments read as flag-value pairs
  assert.deepEqual(snap.slice(segmentAt + 1), [
    '-map', '0:v:0', '-an',
    '-vf', `${RISING_PTS},scale=640:-2:flags=fast_bilinear`,
    '-fps_mode', 'passthrough', '-enc_time_base', '1:1000',
    '-pix_fmt', 'yuvj420p', '-c:v', 'mjpeg', '-q:v', '5',
    '-f', 'tee', '[f=image2pipe:onfail=ignore]pipe\\:4|[f=null]/dev/null',
  ]);
  // With both, one decoder feeds both outputs: the input options come once.
  const both = ffmpegArgs({ ...base, frames: { width: 320, height: 180, pipeFd: 3 }, snapshots: { width: 640, pipeFd: 4 } });
  assert.equal(both.filter((a) => a === '-skip_frame').length, 1);
  assert.deepEqual(
    both.filter((a) => a.includes('pipe:') || a.includes('pipe\\:')),
    ['pipe:1', '[f=rawvideo:onfail=ignore]pipe\\:3|[f=null]/dev/null', '[f=image2pipe:onfail=ignore]pipe\\:4|[f=null]/dev/null'],
  );
});

test('a tap at a frame rate decodes every frame and picks its rate; the snapshot branch then picks the key frames itself', () => {
  const args = ffmpegArgs({ ...base, frames: { width: 320, height: 180, pipeFd: 3, fps: 5 }, snapshots: { width: 0, pipeFd: 4 } });
  assert.ok(!args.includes('-skip_frame'), 'every frame is decoded');
  const filters = args.filter((_, i) => args[i - 1] === '-vf');
  assert.deepEqual(filters, [`fps=5,${RISING_PTS},scale=320:180:flags=fast_bilinear,format=gray`, `select=eq(pict_type\\,I),${RISING_PTS}`]);
});

test('a synthetic camera (every frame raw, all "key") has its taps take one frame per GOP', () => {
  const args = ffmpegArgs({
    ...base,
    url: 'synthetic:?size=320x240&fps=10',
    frames: { width: 320, height: 180, pipeFd: 3 },
    snapshots: { width: 0, pipeFd: 4 },
  });
  const filters = args.filter((_, i) => args[i - 1] === '-vf');
  assert.deepEqual(filters, [`select=not(mod(n\\,20)),${RISING_PTS},scale=320:180:flags=fast_bilinear,format=gray`, `select=not(mod(n\\,20)),${RISING_PTS}`]);
});
