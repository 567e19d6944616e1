// The taps' own timestamps (ffmpeg-args.ts, RISING_PTS) against real ffmpeg: a camera whose
// timestamps go back (as after a reconnect or an RTCP resync) must not end ffmpeg. Without them the
// MJPEG encoder refuses the frame ("Invalid pts <= last") and ffmpeg exits, taking the recording
// with it; a full suite run with the analysis on saw exactly that after a camera came back.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { frameTapArgs, jpegTapArgs } from '../../src/camera/ffmpeg-args.ts';

// 20 frames at 5 fps whose timestamps jump 1 s back after the tenth
const JUMPING = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=size=160x90:rate=5:duration=4'];
const BACK = "setpts='if(gte(N\\,10)\\,PTS-1/TB\\,PTS)',";

test('the snapshot tap gets every frame of a camera whose timestamps go back, and ffmpeg goes on', () => {
  const run = spawnSync('ffmpeg', [...JUMPING, ...jpegTapArgs({ width: 0, pipeFd: 1 }, BACK)], { maxBuffer: 64 << 20 });
  assert.equal(run.status, 0, `ffmpeg ended ${run.status}: ${run.stderr.toString().slice(-400)}`);
  const jpegs = run.stdout.toString('latin1').split('\xff\xd8\xff').length - 1;
  assert.equal(jpegs, 20);
});

test('the frame tap gets every frame of a camera whose timestamps go back, and ffmpeg goes on', () => {
  const run = spawnSync('ffmpeg', [...JUMPING, ...frameTapArgs({ width: 32, height: 18, pipeFd: 1 }, BACK)], { maxBuffer: 64 << 20 });
  assert.equal(run.status, 0, `ffmpeg ended ${run.status}: ${run.stderr.toString().slice(-400)}`);
  assert.equal(run.stdout.length, 20 * 32 * 18);
});
