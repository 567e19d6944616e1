#!/usr/bin/python3
"""Synthetic RTSP camera(s) for end-to-end tests.

Run with the system python (/usr/bin/python3): python3-gi lives there, not in pyenv/venv pythons.

    /usr/bin/python3 rtsp-camera.py [--exit-on-eof] [--shared-source] PORT MOUNTS [SIZE] [FPS] [KBPS]

    --exit-on-eof    also exit (code 0) when stdin reaches end of file: run it with stdin a pipe
                     from the parent and it dies with the parent, even one killed with SIGKILL
    --shared-source  all mounts with the same audio kind relay one pipeline (one H.264 encoder per
                     audio kind instead of one per mount): many cameras for the cost of two, for
                     benchmarks. Every mount still looks like its own camera. An internal client
                     keeps each shared pipeline running from start to exit (needs rtspsrc).

    PORT    TCP port on 127.0.0.1
    MOUNTS  comma list of PATH=AUDIO, AUDIO one of aac | alaw | none (bare PATH means aac),
            e.g. /cam1=aac,/cam2=alaw,/cam3=none
    SIZE    WxH, default 640x360
    FPS     default 15 (H.264 key frame every 2*FPS frames)
    KBPS    H.264 bitrate, default 800

Serves H.264 (x264enc zerolatency/ultrafast/baseline) plus AAC (avenc_aac) or G.711 A-law
(alawenc) audio over RTSP, RTP over TCP (interleaved, ffmpeg -rtsp_transport tcp) or UDP.
Each mount is its own shared pipeline, built when the first client connects (with --shared-source:
one pipeline per audio kind, shared by every mount of that kind and all their clients).
Prints one line starting with "serving " once it listens. SIGTERM / SIGINT -> exit code 0.

Needs Debian packages: python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base
gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly gstreamer1.0-libav
"""
import os
import signal
import sys

import gi

gi.require_version('Gst', '1.0')
gi.require_version('GstRtsp', '1.0')
gi.require_version('GstRtspServer', '1.0')
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

AUDIO = {
    'aac': ('audiotestsrc is-live=true wave=sine freq=1000 ! audioconvert ! audioresample '
            '! audio/x-raw,rate=16000,channels=1 ! avenc_aac bitrate=32000 '
            '! rtpmp4gpay name=pay1 pt=97'),
    'alaw': ('audiotestsrc is-live=true wave=sine freq=1000 ! audioconvert ! audioresample '
             '! audio/x-raw,rate=8000,channels=1 ! alawenc ! rtppcmapay name=pay1 pt=8'),
    'none': '',
}


def usage(msg):
    sys.stderr.write(f'rtsp-camera: {msg}\n'
                     'usage: rtsp-camera.py [--exit-on-eof] [--shared-source] PORT /cam1=aac,/cam2=alaw,/cam3=none [WxH] [FPS] [KBPS]\n')
    sys.exit(2)


def parse_mounts(spec):
    mounts = []
    for item in spec.split(','):
        item = item.strip()
        if not item:
            continue
        path, _, audio = item.partition('=')
        audio = audio or 'aac'
        if not path.startswith('/'):
            usage(f'mount path must start with "/": {item!r}')
        if audio not in AUDIO:
            usage(f'unknown audio kind {audio!r} for {path} (aac | alaw | none)')
        mounts.append((path, audio))
    if not mounts:
        usage('no mounts given')
    return mounts


class SharedSourceFactory(GstRtspServer.RTSPMediaFactory):
    """--shared-source: a shared factory whose media is the same whatever the mount path."""

    def do_gen_key(self, url):
        return 'shared-source'


class Keeper:
    """--shared-source: an RTSP client inside the server that stays connected to one mount.

    gst-rtsp-server tears a shared media down when its last client leaves, and a client that
    connects meanwhile (ffprobe then ffmpeg, one recorder after another) fails. With this client
    always there, the shared pipeline runs from start to exit."""

    def __init__(self, url):
        self.url = url
        self.pipeline = None
        self.start()

    def start(self):
        self.pipeline = Gst.Pipeline.new('keeper')
        src = Gst.ElementFactory.make('rtspsrc')
        src.set_property('location', self.url)
        src.set_property('protocols', GstRtsp.RTSPLowerTrans.TCP)
        src.set_property('latency', 0)
        src.connect('pad-added', self._on_pad)
        self.pipeline.add(src)
        bus = self.pipeline.get_bus()
        bus.add_signal_watch()
        bus.connect('message::error', self._on_error)
        bus.connect('message::eos', self._on_error)
        self.pipeline.set_state(Gst.State.PLAYING)

    def _on_pad(self, _src, pad):
        sink = Gst.ElementFactory.make('fakesink')
        sink.set_property('sync', False)
        sink.set_property('async', False)
        self.pipeline.add(sink)
        sink.sync_state_with_parent()
        pad.link(sink.get_static_pad('sink'))

    def _on_error(self, bus, msg):
        sys.stderr.write(f'rtsp-camera: keeper of {self.url}: {msg.type.first_value_nick}, reconnecting\n')
        bus.remove_signal_watch()
        self.pipeline.set_state(Gst.State.NULL)
        GLib.timeout_add(500, lambda: self.start() and False)

    def stop(self):
        self.pipeline.set_state(Gst.State.NULL)


def main(argv):
    exit_on_eof = shared_source = False
    while argv and argv[0] in ('--exit-on-eof', '--shared-source'):
        exit_on_eof = exit_on_eof or argv[0] == '--exit-on-eof'
        shared_source = shared_source or argv[0] == '--shared-source'
        argv = argv[1:]
    if len(argv) < 2 or len(argv) > 5:
        usage('wrong number of arguments')
    try:
        port = int(argv[0])
        mounts = parse_mounts(argv[1])
        w, h = (int(x) for x in (argv[2] if len(argv) > 2 else '640x360').split('x'))
        fps = int(argv[3]) if len(argv) > 3 else 15
        kbps = int(argv[4]) if len(argv) > 4 else 800
    except ValueError as e:
        usage(str(e))

    Gst.init(None)
    missing = [e for e in ('videotestsrc', 'videoconvert', 'x264enc', 'rtph264pay', 'audiotestsrc',
                           'audioconvert', 'audioresample', 'avenc_aac', 'rtpmp4gpay', 'alawenc',
                           'rtppcmapay') + (('rtspsrc', 'fakesink') if shared_source else ())
               if not Gst.ElementFactory.find(e)]
    if missing:
        sys.exit(f'rtsp-camera: missing GStreamer elements: {" ".join(missing)}')

    video = (f'videotestsrc is-live=true pattern=smpte horizontal-speed=4 '
             f'! video/x-raw,width={w},height={h},framerate={fps}/1 ! videoconvert '
             f'! x264enc tune=zerolatency speed-preset=ultrafast key-int-max={2 * fps} bitrate={kbps} '
             f'! video/x-h264,profile=baseline ! rtph264pay name=pay0 pt=96 config-interval=1')

    server = GstRtspServer.RTSPServer()
    server.set_address('127.0.0.1')
    server.set_service(str(port))
    if shared_source:
        # many clients at once: a deep accept queue (default 5: the kernel drops the rest) and a thread
        # per client (default: one for all, so a client waiting for its media holds up all others)
        server.set_backlog(256)
        server.get_thread_pool().set_max_threads(-1)
    points = server.get_mount_points()
    shared = {}
    for path, audio in mounts:
        factory = shared.get(audio)
        if factory is None:
            factory = SharedSourceFactory() if shared_source else GstRtspServer.RTSPMediaFactory()
            factory.set_launch(f'( {video} {AUDIO[audio]} )')
            factory.set_shared(True)
            if shared_source:
                shared[audio] = factory
        points.add_factory(path, factory)
    if server.attach(None) == 0:
        sys.exit(f'rtsp-camera: cannot listen on 127.0.0.1:{port}')
    first_mount = {}
    for path, audio in mounts:
        first_mount.setdefault(audio, path)
    keepers = [Keeper(f'rtsp://127.0.0.1:{port}{path}') for path in first_mount.values()] if shared_source else []

    loop = GLib.MainLoop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        GLib.unix_signal_add(GLib.PRIORITY_HIGH, sig, loop.quit)
    if exit_on_eof:
        def on_stdin(fd, _cond):
            try:
                if os.read(fd, 4096):
                    return True  # ignore input, keep watching
            except OSError:
                pass
            loop.quit()  # end of file or error: the parent is gone
            return False
        GLib.unix_fd_add_full(GLib.PRIORITY_DEFAULT, sys.stdin.fileno(),
                              GLib.IOCondition.IN | GLib.IOCondition.HUP | GLib.IOCondition.ERR, on_stdin)
    desc = ','.join(f'{p}={a}' for p, a in mounts)
    mode = ' shared-source' if shared_source else ''
    print(f'serving {desc} on rtsp://127.0.0.1:{port} size={w}x{h} fps={fps} kbps={kbps}{mode}', flush=True)
    loop.run()
    for k in keepers:
        k.stop()
    print('stopped', flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
