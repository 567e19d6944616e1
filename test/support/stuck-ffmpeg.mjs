#!/usr/bin/env node
// Stands in for ffmpeg (recorder.ffmpeg_path) where the real one cannot be made to misbehave on
// demand: an ffmpeg blocked in a network read ignores SIGINT, and only SIGKILL ends it.
//
// It is started with only PATH and TZ in its environment (src/child-env.ts), so it takes its
// orders from a file: `stuck-ffmpeg.json` in temp_dir (the parent of the camera's folder, which
// is the folder of ffmpeg's segment pattern argument), `{ "runs": [mode, ...] }`, one
// mode per start, the last one repeated. Each start, signal and exit is appended to
// `stuck-ffmpeg.log` beside it as a JSON line, so a test knows every pid and what it went through.
//
// Modes:
//   stall-after-progress  reports progress (as -progress pipe:1 does) for 3 s, then nothing; ignores SIGINT
//   silent                never reports progress (still connecting); ignores SIGINT
//   record                reports progress every 500 ms; exits on SIGINT
//   empty-segment         creates the segment file with 0 bytes; exits on SIGINT
//   header-segment        creates the segment file with only ftyp+moov, no fragment; exits on SIGINT
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

if (process.argv.includes('-version')) {
  // the service's start-up check that the binary runs (src/cli/preflight.ts)
  process.stdout.write('ffmpeg version stuck-ffmpeg (a test stand-in)\n');
  process.exit(0);
}
// the segment pattern: the last argument, or the last before the frame and snapshot pipes
const cameraDir = dirname(process.argv.findLast((a) => a.endsWith('.mp4')) ?? process.argv.at(-1));
const tempDir = dirname(cameraDir);
const journal = join(tempDir, 'stuck-ffmpeg.log');
const { runs } = JSON.parse(readFileSync(join(tempDir, 'stuck-ffmpeg.json'), 'utf8'));
const earlier = existsSync(journal)
  ? readFileSync(journal, 'utf8')
      .split('\n')
      .filter((l) => l.includes('"event":"started"')).length
  : 0;
const mode = runs[Math.min(earlier, runs.length - 1)];
const note = (event, more = {}) => appendFileSync(journal, `${JSON.stringify({ pid: process.pid, event, ...more })}\n`);
note('started', { mode });

const obeysSigint = !['stall-after-progress', 'silent'].includes(mode);
process.on('SIGINT', () => {
  note(obeysSigint ? 'sigint-exit' : 'sigint-ignored');
  if (obeysSigint) process.exit(0);
});
setInterval(() => {}, 1 << 30); // never exits by itself

let frame = 0;
const report = () => {
  frame += 8;
  const us = Math.round((frame / 15) * 1e6);
  process.stdout.write(`frame=${frame}\nfps=15.00\nout_time_us=${us}\nout_time_ms=${us}\nprogress=continue\n`);
};

if (mode === 'stall-after-progress') {
  const timer = setInterval(report, 500);
  setTimeout(() => {
    clearInterval(timer);
    note('stalled');
  }, 3000);
} else if (mode === 'record') {
  setInterval(report, 500);
} else if (mode === 'empty-segment' || mode === 'header-segment') {
  // named as ffmpeg names it: -strftime %Y%m%d-%H%M%S.mp4 in UTC
  const name = `${new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)}.mp4`;
  writeFileSync(join(cameraDir, name), mode === 'empty-segment' ? Buffer.alloc(0) : headerOnly());
  note('segment', { name });
} else if (mode !== 'silent') {
  throw new Error(`stuck-ffmpeg: unknown mode ${mode}`);
}
/** What ffmpeg's mp4 muxer writes at the opening of a fragmented segment: ftyp, then an empty_moov. */
function headerOnly() {
  const box = (type, body) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(8 + body.length, 0);
    head.write(type, 4, 'latin1');
    return Buffer.concat([head, body]);
  };
  const hdlr = box('hdlr', Buffer.concat([Buffer.alloc(8), Buffer.from('vide', 'latin1'), Buffer.alloc(13)]));
  return Buffer.concat([box('ftyp', Buffer.from('isom\0\0\x02\0isomiso6mp41', 'latin1')), box('moov', box('trak', box('mdia', hdlr)))]);
}
