#!/usr/bin/python3
"""Synthetic RTSP camera(s) for end-to-end tests.

Run with the system python (/usr/bin/python3): python3-gi lives there, not in pyenv/venv pythons.

    /usr/bin/python3 rtsp-camera.py [--exit-on-eof] [--shared-source] [--one-client] PORT MOUNTS [SIZE] [FPS] [KBPS]

    --exit-on-eof    also exit (code 0) when stdin reaches end of file: run it with stdin a pipe
                     from the parent and it dies with the parent, even one killed with SIGKILL
    --shared-source  encode once for all mounts (one H.264 encoder, one encoder per audio kind)
                     and relay the encoded stream to every mount: many cameras for the cost of
                     one, for benchmarks. Each mount is still its own media, as without the flag.
    --one-client     a new client drops every client before it, like cameras that serve one at a time

    PORT    TCP port on 127.0.0.1
    MOUNTS  comma list of PATH=AUDIO, AUDIO one of aac | alaw | none (bare PATH means aac),
            e.g. /cam1=aac,/cam2=alaw,/cam3=none
    SIZE    WxH, default 640x360
    FPS     default 15 (H.264 key frame every 2*FPS frames)
    KBPS    H.264 bitrate, default 800

Serves H.264 (x264enc zerolatency/ultrafast/baseline) plus AAC (avenc_aac) or G.711 A-law
(alawenc) audio over RTSP, RTP over TCP (interleaved, ffmpeg -rtsp_transport tcp) or UDP.
Each mount is its own shared pipeline, built when the first client connects. With --shared-source
that pipeline only payloads what the one encoding pipeline (started at once) produces.
Prints one line starting with "serving " once it listens. SIGTERM / SIGINT -> exit code 0.

Control on stdin, one command a line (camera_pictures.py describes the pictures):
    picture ID MOUNT NAME   show picture NAME (normal black solid snow ball static smpte blur scene2)
                            on MOUNT from now on, without interrupting its clients or its stream.
                            Answers on stdout "picture ID ok" once a frame of it has left the payloader
                            of the mount's running pipeline (at once when no client is connected: the
                            next pipeline starts with it), or "picture ID error WHY". Not with
                            --shared-source (all mounts relay one encoding): that answers an error.

Needs Debian packages: python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base
gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly gstreamer1.0-libav
"""
import os
import signal
import sys
import threading

import gi

gi.require_version('Gst', '1.0')
gi.require_version('GstRtspServer', '1.0')
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

from camera_pictures import ELEMENTS as PICTURE_ELEMENTS, Pictures, video_chain  # noqa: E402

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
                     'usage: rtsp-camera.py [--exit-on-eof] [--shared-source] [--one-client] PORT /cam1=aac,/cam2=alaw,/cam3=none [WxH] [FPS] [KBPS]\n')
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


# --shared-source: the encoders run once, their output goes to every mount through appsrc.
SHARED_AUDIO = {
    'aac': ('audiotestsrc is-live=true wave=sine freq=1000 ! audioconvert ! audioresample '
            '! audio/x-raw,rate=16000,channels=1 ! avenc_aac bitrate=32000 ! aacparse'),
    'alaw': ('audiotestsrc is-live=true wave=sine freq=1000 ! audioconvert ! audioresample '
             '! audio/x-raw,rate=8000,channels=1 ! alawenc'),
}
SHARED_PAY = {'aac': 'rtpmp4gpay name=pay1 pt=97', 'alaw': 'rtppcmapay name=pay1 pt=8'}
APPSRC = 'appsrc is-live=true format=time do-timestamp=true max-bytes=4000000 leaky-type=downstream'


class SharedSource:
    """One pipeline encoding video and each audio kind once; every sample is pushed, timestamps
    cleared (the receiving appsrc stamps it with its own running time), to the appsrcs of every
    mount's media from its creation until it is unprepared. Video goes to a mount from a key frame on."""

    def __init__(self, video, kinds):
        branches = [f'{video} ! h264parse config-interval=-1 ! video/x-h264,stream-format=byte-stream,alignment=au '
                    '! appsink name=video emit-signals=true sync=false']
        branches += [f'{SHARED_AUDIO[k]} ! appsink name={k} emit-signals=true sync=false' for k in kinds]
        self.pipeline = Gst.parse_launch(' '.join(branches))
        self.lock = threading.Lock()
        self.caps = {}
        self.targets = {name: {} for name in ['video', *kinds]}  # branch -> {appsrc: started}
        for name in self.targets:
            self.pipeline.get_by_name(name).connect('new-sample', self._on_sample, name)
        bus = self.pipeline.get_bus()
        bus.add_signal_watch()
        bus.connect('message::error', self._on_error)
        self.pipeline.set_state(Gst.State.PLAYING)

    @staticmethod
    def _on_error(_bus, msg):
        err, dbg = msg.parse_error()
        sys.exit(f'rtsp-camera: shared source failed: {err.message} ({dbg})')

    def _on_sample(self, sink, name):
        sample = sink.emit('pull-sample')
        buf = sample.get_buffer()
        self.caps[name] = sample.get_caps()
        key = name != 'video' or not buf.has_flags(Gst.BufferFlags.DELTA_UNIT)
        with self.lock:
            targets = self.targets[name]
            ready = [src for src, started in targets.items() if started or key]
            for src in ready:
                targets[src] = True
        if ready:
            out = buf.copy()
            out.pts = out.dts = Gst.CLOCK_TIME_NONE
            for src in ready:
                src.emit('push-buffer', out)
        return Gst.FlowReturn.OK

    def wait_caps(self, timeout_s=10):
        deadline = GLib.get_monotonic_time() + timeout_s * 1_000_000
        while len(self.caps) < len(self.targets) and GLib.get_monotonic_time() < deadline:
            GLib.MainContext.default().iteration(False)
            GLib.usleep(10_000)
        return len(self.caps) == len(self.targets)

    def factory(self, audio):
        """A media factory for one mount: appsrc -> payloader, fed while its media is prepared."""
        launch = f'( {APPSRC} name=video ! rtph264pay name=pay0 pt=96 config-interval=1'
        if audio != 'none':
            launch += f' {APPSRC} name={audio} ! {SHARED_PAY[audio]}'
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(launch + ' )')
        factory.set_shared(True)
        factory.connect('media-configure', self._on_media_configure, ['video'] + ([audio] if audio != 'none' else []))
        return factory

    def _on_media_configure(self, _factory, media, names):
        bin_ = media.get_element()
        srcs = {name: bin_.get_by_name(name) for name in names}
        for name, src in srcs.items():
            src.set_property('caps', self.caps[name])

        def detach(_media):
            with self.lock:
                for name, src in srcs.items():
                    self.targets[name].pop(src, None)

        # data must flow while the media prepares: its SDP needs the payloaders' caps
        with self.lock:
            for name, src in srcs.items():
                self.targets[name].setdefault(src, False)
        media.connect('unprepared', detach)

    def stop(self):
        self.pipeline.set_state(Gst.State.NULL)


def main(argv):
    exit_on_eof = shared_source = one_client = False
    while argv and argv[0] in ('--exit-on-eof', '--shared-source', '--one-client'):
        exit_on_eof = exit_on_eof or argv[0] == '--exit-on-eof'
        shared_source = shared_source or argv[0] == '--shared-source'
        one_client = one_client or argv[0] == '--one-client'
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
                           'rtppcmapay') + (('appsrc', 'appsink', 'h264parse', 'aacparse') if shared_source else PICTURE_ELEMENTS)
               if not Gst.ElementFactory.find(e)]
    if missing:
        sys.exit(f'rtsp-camera: missing GStreamer elements: {" ".join(missing)}')

    x264 = (f'videoconvert ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max={2 * fps} bitrate={kbps} '
            f'! video/x-h264,profile=baseline')
    encoder = (f'videotestsrc is-live=true pattern=smpte horizontal-speed=4 '
               f'! video/x-raw,width={w},height={h},framerate={fps}/1 ! {x264}')
    video = f'{video_chain(w, h, fps)} ! {x264} ! rtph264pay name=pay0 pt=96 config-interval=1'
    pictures = None if shared_source else Pictures([p for p, _ in mounts], w, h)
    shared = None
    if shared_source:
        shared = SharedSource(encoder, sorted({a for _, a in mounts if a != 'none'}))
        if not shared.wait_caps():
            sys.exit('rtsp-camera: the shared source produced nothing within 10 s')

    server = GstRtspServer.RTSPServer()
    server.set_address('127.0.0.1')
    server.set_service(str(port))
    if shared_source:
        # many cameras connect at once: a deep accept queue (default 5: the kernel drops the rest), and
        # a thread per client (default: one thread for all, so one client waiting for its media to be
        # prepared holds up every other client)
        server.set_backlog(256)
        server.get_thread_pool().set_max_threads(-1)
    points = server.get_mount_points()
    for path, audio in mounts:
        if shared:
            factory = shared.factory(audio)
        else:
            factory = GstRtspServer.RTSPMediaFactory()
            factory.set_launch(f'( {video} {AUDIO[audio]} )')
            factory.set_shared(True)
            factory.connect('media-configure', lambda _f, media, p=path: pictures.attach(p, media))
        points.add_factory(path, factory)
    if one_client:
        # like cameras that serve one client at a time: a new connection drops the ones before it
        clients = []

        def on_connected(_server, client):
            for old in clients:
                old.close()
            clients[:] = [client]
            client.connect('closed', lambda c: clients.remove(c) if c in clients else None)
        server.connect('client-connected', on_connected)
    if server.attach(None) == 0:
        sys.exit(f'rtsp-camera: cannot listen on 127.0.0.1:{port}')

    loop = GLib.MainLoop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        GLib.unix_signal_add(GLib.PRIORITY_HIGH, sig, loop.quit)
    out_lock = threading.Lock()  # answers come from streaming threads too

    def say(line):
        with out_lock:
            print(line, flush=True)

    def command(line):
        words = line.split()
        if len(words) == 4 and words[0] == 'picture':
            _, cid, path, name = words
            if pictures is None:
                return say(f'picture {cid} error --shared-source relays one encoding to every mount: '
                           'its picture cannot change')
            return pictures.switch(path, name, lambda err: say(f'picture {cid} ' + (f'error {err}' if err else 'ok')))
        return say(f'error unknown command {line!r} (picture ID MOUNT NAME)')

    pending = bytearray()

    def on_stdin(fd, _cond):
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            chunk = b''
        if chunk:
            pending.extend(chunk)
            while b'\n' in pending:
                line, _, rest = bytes(pending).partition(b'\n')
                pending[:] = rest
                if line.strip():
                    command(line.decode('utf-8', 'replace').strip())
            return True
        if exit_on_eof:
            loop.quit()  # end of file or error: the parent is gone
        return False
    GLib.unix_fd_add_full(GLib.PRIORITY_DEFAULT, sys.stdin.fileno(),
                          GLib.IOCondition.IN | GLib.IOCondition.HUP | GLib.IOCondition.ERR, on_stdin)
    desc = ','.join(f'{p}={a}' for p, a in mounts)
    mode = ' shared-source' if shared else ''
    say(f'serving {desc} on rtsp://127.0.0.1:{port} size={w}x{h} fps={fps} kbps={kbps}{mode}')
    loop.run()
    if shared:
        shared.stop()
    print('stopped', flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
