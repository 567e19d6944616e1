"""Pictures a mount of rtsp-camera.py can be switched to while it streams (imported by rtsp-camera.py).

The video of a mount (without --shared-source) is one chain whose parts can all change while it plays:

    videotestsrc name=scene                     pattern, scroll speed and colour are properties
    ! videoscale ! capsfilter name=lens         W/16 x H/16 for `blur`, else W x H (videoscale passes through)
    ! videoscale ! W x H                        so the encoder always gets the same caps
    ! gdkpixbufoverlay name=ball                alpha 0 (passes through) unless `ball`

Nothing is rebuilt, so the encoder, payloader and every client's connection keep running and the
timestamps stay continuous: a recorder sees only the picture change. Changes are made in a pad probe
on the source's pad, between two frames, so no frame is half old, half new.

    normal  SMPTE bars with the lower part, scrolling 4 px a frame (the picture without any switch;
            its lower right corner is noise, new every frame)
    black   all black                                      solid   one grey, a covered lens
    snow    random noise every frame                       smpte   full-height 75 % bars, still
    static  SMPTE RP 219 bars with their lower part: not one pixel moves (the `smpte` pattern of
            videotestsrc has noise in a corner, so it cannot stand still)
    ball    `static` with a ball (white, black rim, a quarter of the height wide) moving over it
    blur    the normal scene, scrolling, through W/16 x H/16: heavily blurred
    scene2  a pinwheel scrolling like the normal scene: a lastingly different scene
"""
import math
import os
import struct
import threading
import zlib

from gi.repository import Gst

# name -> (videotestsrc pattern, horizontal-speed, foreground-color, blurred, ball)
PICTURES = {
    'normal': ('smpte', 4, 0xffffffff, False, False),
    'black': ('black', 0, 0xffffffff, False, False),
    'solid': ('solid-color', 0, 0xff808080, False, False),
    'snow': ('snow', 0, 0xffffffff, False, False),
    'ball': ('smpte-rp-219', 0, 0xffffffff, False, True),
    'static': ('smpte-rp-219', 0, 0xffffffff, False, False),
    'smpte': ('smpte75', 0, 0xffffffff, False, False),
    'blur': ('smpte', 4, 0xffffffff, True, False),
    'scene2': ('pinwheel', 4, 0xffffffff, False, False),
}
BLUR_FACTOR = 16
ELEMENTS = ('videoscale', 'gdkpixbufoverlay')


def ball_png(d):
    """A d x d RGBA PNG: a white disc with a black rim (seen on any background), transparent around."""
    r, rim = d / 2, max(2, d // 8)
    rows = bytearray()
    for y in range(d):
        rows.append(0)  # PNG filter: none
        for x in range(d):
            dist = math.hypot(x + 0.5 - r, y + 0.5 - r)
            rows += b'\xff\xff\xff\xff' if dist < r - rim else b'\x00\x00\x00\xff' if dist < r else b'\x00\x00\x00\x00'

    def chunk(kind, data):
        return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data))
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', d, d, 8, 6, 0, 0, 0))
            + chunk(b'IDAT', zlib.compress(bytes(rows))) + chunk(b'IEND', b''))


def video_chain(w, h, fps):
    """The launch text of a mount's raw video, ready for the encoder."""
    # The ball image lives in an anonymous in-memory file: nothing to clean up, even after SIGKILL.
    fd = os.memfd_create('ball.png')
    os.write(fd, ball_png(max(8, h // 4)))
    size = f'width={w},height={h},pixel-aspect-ratio=1/1'
    return (f'videotestsrc name=scene is-live=true pattern=smpte horizontal-speed=4 '
            f'! video/x-raw,{size},framerate={fps}/1 ! videoscale add-borders=false '
            f'! capsfilter name=lens caps=video/x-raw,{size} ! videoscale add-borders=false ! video/x-raw,{size} '
            f'! gdkpixbufoverlay name=ball location=/proc/self/fd/{fd} alpha=0 positioning-mode=pixels-absolute')


class Scene:
    """The switchable parts of one running pipeline of a mount."""

    def __init__(self, bin_, w, h, picture):
        self.src = bin_.get_by_name('scene')
        self.lens = bin_.get_by_name('lens')
        self.ball = bin_.get_by_name('ball')
        self.w, self.h, self.d = w, h, max(8, h // 4)
        self.sharp = Gst.Caps.from_string(f'video/x-raw,width={w},height={h},pixel-aspect-ratio=1/1')
        self.blurred = Gst.Caps.from_string(f'video/x-raw,width={max(2, w // BLUR_FACTOR)},'
                                            f'height={max(2, h // BLUR_FACTOR)},pixel-aspect-ratio=1/1')
        self.lock = threading.Lock()
        self.pending = None  # (picture, callbacks): the source changes at the next frame
        self.staged = None   # (picture, callbacks): the source changed; the rest changes with this frame
        self.acks = []       # called at the next frame: the frame of the new picture has been pushed
        self.probing = False
        self.last_pts = None
        self.blur_on = self.ball_on = False
        # before the pipeline plays: nothing streams yet, set everything at once
        self._apply_source(picture)
        self._apply_downstream(picture)
        if self.ball_on:
            self._ensure_probe()

    def switch(self, picture, done):
        with self.lock:
            callbacks = (self.pending[1] if self.pending else []) + [done]
            self.pending = (picture, callbacks)
            self._ensure_probe()

    def detach(self):
        """The pipeline is gone: whatever waits for it is done (the next pipeline starts right)."""
        with self.lock:
            waiting = self.acks + (self.staged[1] if self.staged else []) + (self.pending[1] if self.pending else [])
            self.acks, self.staged, self.pending = [], None, None
        for done in waiting:
            done()

    def _ensure_probe(self):  # with self.lock
        if not self.probing:
            self.probing = True
            self.src.get_static_pad('src').add_probe(Gst.PadProbeType.BUFFER, self._on_frame)

    def _apply_source(self, picture):
        pattern, speed, colour, _, _ = PICTURES[picture]
        self.src.set_property('pattern', pattern)
        self.src.set_property('horizontal-speed', speed)
        self.src.set_property('foreground-color', colour)

    def _apply_downstream(self, picture):
        _, _, _, blur, ball = PICTURES[picture]
        if blur != self.blur_on:
            self.lens.set_property('caps', self.blurred if blur else self.sharp)
            self.blur_on = blur
        if ball != self.ball_on:
            self.ball.set_property('alpha', 1.0 if ball else 0.0)
            self.ball_on = ball

    def _on_frame(self, _pad, info):
        # Runs in the streaming thread before this frame is pushed; the source makes the next frame
        # only after this one went through the encoder and payloader.
        pts = info.get_buffer().pts
        with self.lock:
            if pts == self.last_pts:  # a probe added while this frame's probes ran
                return Gst.PadProbeReturn.OK
            self.last_pts = pts
            acks, self.acks = self.acks, []
            if self.staged:
                self._apply_downstream(self.staged[0])
                self.acks = self.staged[1]
                self.staged = None
            if self.pending:
                self._apply_source(self.pending[0])
                self.staged, self.pending = self.pending, None
            if self.ball_on:
                self._move_ball(pts / Gst.SECOND)
            keep = self.ball_on or self.acks or self.staged or self.pending
            self.probing = bool(keep)
        for done in acks:
            done()
        return Gst.PadProbeReturn.OK if keep else Gst.PadProbeReturn.REMOVE

    def _move_ball(self, t):
        # a Lissajous path: never still, over the whole frame
        self.ball.set_property('offset-x', int((self.w - self.d) / 2 * (1 + math.sin(2 * math.pi * t / 4.0))))
        self.ball.set_property('offset-y', int((self.h - self.d) / 2 * (1 + math.sin(2 * math.pi * t / 2.7))))


class Pictures:
    """What each mount shows, and its running pipelines (none until a client connects)."""

    def __init__(self, paths, w, h):
        self.w, self.h = w, h
        self.lock = threading.Lock()
        self.current = {p: 'normal' for p in paths}
        self.scenes = {p: set() for p in paths}

    def attach(self, path, media):
        """media-configure of a mount's media: its pipeline starts with the mount's picture."""
        with self.lock:
            scene = Scene(media.get_element(), self.w, self.h, self.current[path])
            self.scenes[path].add(scene)

        def on_unprepared(_media):
            with self.lock:
                self.scenes[path].discard(scene)
            scene.detach()
        media.connect('unprepared', on_unprepared)

    def switch(self, path, picture, done):
        """done(None) once a frame of the new picture left every running pipeline of the mount
        (at once when none runs), done(message) when the request is wrong."""
        if path not in self.current:
            return done(f'no mount {path!r} (mounts: {", ".join(self.current)})')
        if picture not in PICTURES:
            return done(f'unknown picture {picture!r} (one of: {" ".join(PICTURES)})')
        with self.lock:
            self.current[path] = picture
            scenes = list(self.scenes[path])
        if not scenes:
            return done(None)
        left = [len(scenes)]
        counter = threading.Lock()

        def one_done():
            with counter:
                left[0] -= 1
                last = left[0] == 0
            if last:
                done(None)
        for scene in scenes:
            scene.switch(picture, one_done)
        return None
