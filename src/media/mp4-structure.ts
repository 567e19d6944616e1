// A cheap structural check of a fragmented MP4 as ffmpeg's segment muxer writes it (ftyp, moov,
// then moof+mdat pairs): the top-level boxes must tile the file exactly, the moov must hold a video
// track, and at least one fragment must follow. Reads only box headers and the (small) moov, so a
// 15-minute segment is checked in a few hundred tiny reads instead of an ffprobe process.
import { open, type FileHandle } from 'node:fs/promises';

export type Mp4Check = { ok: true; fragments: number } | { ok: false; why: string };

const MAX_MOOV = 4 << 20;
const MAX_BOXES = 1_000_000;

export async function checkFragmentedMp4(path: string): Promise<Mp4Check> {
  const file = await open(path, 'r');
  try {
    return await walk(file, (await file.stat()).size);
  } finally {
    await file.close();
  }
}

async function walk(file: FileHandle, size: number): Promise<Mp4Check> {
  const header = Buffer.alloc(16);
  let offset = 0;
  let first = true;
  let video = false;
  let fragments = 0;
  for (let n = 0; offset < size; n++) {
    if (n >= MAX_BOXES) return { ok: false, why: `more than ${MAX_BOXES} top-level boxes` };
    const { bytesRead } = await file.read(header, 0, 16, offset);
    if (bytesRead < 8) return { ok: false, why: `box header cut short at byte ${offset}` };
    const type = header.toString('latin1', 4, 8);
    let boxSize = header.readUInt32BE(0);
    let headerSize = 8;
    if (boxSize === 1) {
      if (bytesRead < 16) return { ok: false, why: `box header cut short at byte ${offset}` };
      boxSize = Number(header.readBigUInt64BE(8));
      headerSize = 16;
    } else if (boxSize === 0) {
      boxSize = size - offset; // "to the end of the file"
    }
    if (boxSize < headerSize || !/^[\x20-\x7e]{4}$/.test(type)) return { ok: false, why: `no valid box at byte ${offset}` };
    if (first && type !== 'ftyp') return { ok: false, why: `starts with "${type}", not "ftyp"` };
    first = false;
    if (offset + boxSize > size) return { ok: false, why: `"${type}" box at byte ${offset} runs past the end of the file (cut short)` };
    if (type === 'moov') {
      if (boxSize > MAX_MOOV) return { ok: false, why: `moov of ${boxSize} bytes is too large for a fragmented segment` };
      const moov = Buffer.alloc(boxSize - headerSize);
      await file.read(moov, 0, moov.length, offset + headerSize);
      video = hasVideoHandler(moov);
    } else if (type === 'moof') {
      fragments++;
    }
    offset += boxSize;
  }
  if (first) return { ok: false, why: 'file is empty' };
  if (!video) return { ok: false, why: 'no video track in moov' };
  if (fragments === 0) return { ok: false, why: 'no fragment (moof) after the moov' };
  return { ok: true, fragments };
}

/** A 'hdlr' box whose handler type is 'vide': size(4) 'hdlr' version+flags(4) pre_defined(4) 'vide'. */
function hasVideoHandler(moov: Buffer): boolean {
  for (let i = moov.indexOf('hdlr', 0, 'latin1'); i >= 0; i = moov.indexOf('hdlr', i + 4, 'latin1')) {
    if (moov.toString('latin1', i + 12, i + 16) === 'vide') return true;
  }
  return false;
}

/** Boxes ffmpeg writes without any frame: at the start of a segment (ftyp, moov) and in the trailer of one that got none (mfra). */
const FRAMELESS_BOXES = new Set(['ftyp', 'moov', 'mfra', 'free', 'skip']);

/**
 * True when the file cannot hold a single frame: empty, or nothing but header boxes (the last one
 * possibly cut short). ffmpeg leaves such a file when it is stopped right after opening a segment,
 * or when it cannot write more (ENOSPC): about 1 KiB of ftyp+moov. False as soon as a fragment
 * (moof or mdat, even cut short) appears — a segment cut short with frames is footage — and for
 * anything that does not look like our MP4 at all, which the uploader checks and quarantines.
 */
export async function holdsNoFrame(path: string): Promise<boolean> {
  const file = await open(path, 'r');
  try {
    const size = (await file.stat()).size;
    const header = Buffer.alloc(16);
    for (let offset = 0; offset < size; ) {
      const { bytesRead } = await file.read(header, 0, 16, offset);
      if (bytesRead < 8) return offset > 0 || size < 8; // a box header cut short after header boxes (or a few stray bytes)
      const type = header.toString('latin1', 4, 8);
      if (!FRAMELESS_BOXES.has(type) || (offset === 0 && type !== 'ftyp')) return false;
      let boxSize = header.readUInt32BE(0);
      if (boxSize === 1) {
        if (bytesRead < 16) return true; // a 64-bit size cut short, after header boxes
        boxSize = Number(header.readBigUInt64BE(8));
      } else if (boxSize === 0) {
        boxSize = size - offset; // "to the end of the file"
      }
      if (boxSize < 8) return false;
      offset += boxSize;
    }
    return true;
  } finally {
    await file.close();
  }
}
