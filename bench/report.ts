// Markdown tables of a run's results (printed at the end of a run and written to report.md).
import { type CameraAddsResult, spread } from './camera-adds.ts';
import type { CapacityResult, EncoderCost } from './capacity.ts';
import type { CostResult } from './cost.ts';
import type { Machine } from './lib/machine.ts';
import { CAMERA } from './lib/servers.ts';
import { fmt } from './lib/stats.ts';
import type { RecoveryResult } from './recovery.ts';
import type { SoakResult } from './lib/soak-check.ts';
import { renderSoak, soakTarget } from './lib/soak-report.ts';
import type { UploadResult } from './upload.ts';
import { digestTable } from './upload-digests.ts';

export interface Results {
  mode: 'quick' | 'full';
  command: string;
  machine: Machine;
  startedAt: string;
  finishedAt?: string;
  wallMinutes?: number;
  cost?: CostResult;
  capacity?: CapacityResult;
  encoder?: EncoderCost;
  upload?: UploadResult;
  recovery?: RecoveryResult;
  adds?: CameraAddsResult;
  soak?: SoakResult;
  errors: { bench: string; error: string }[];
}

const ok = (pass: boolean | undefined): string => (pass === undefined ? '—' : pass ? 'met' : '**MISSED**');

function table(head: string[], rows: (string | number)[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

export function targets(r: Results): { metric: string; target: string; measured: string; verdict: string }[] {
  const out: { metric: string; target: string; measured: string; verdict: string }[] = [];
  const s25 = r.cost?.summary.find((s) => s.n === 25) ?? r.cost?.summary[r.cost.summary.length - 1];
  if (r.cost) {
    for (const s of r.cost.summary) {
      out.push({
        metric: `Node.js process CPU / baseline ffmpeg CPU, ${s.n} cameras, steady state (${r.cost.config.steadySegmentSeconds / 60}-min segments, none closing)`,
        target: '≤ 5 %',
        measured: `${fmt(s.steadyNodeAddsPct)} % (${fmt(s.steadyNodePct, 2)} % of a core)`,
        verdict: ok(s.steadyNodeAddsPct <= 5),
      });
      out.push({
        metric: `… with a segment closing every ${r.cost.config.segmentSeconds} s per camera (check, sha256, upload, HEAD)`,
        target: '—',
        measured: `${fmt(s.nodeAddsPct)} % (with its ffprobe runs: ${fmt(s.nodeAndChildrenAddPct)} %); per-segment work ${fmt(s.perSegmentCpuSecPerGiB, 2)} CPU s per GiB stored`,
        verdict: '—',
      });
    }
  }
  if (s25) {
    out.push({
      metric: `Node.js process memory (PSS), ${s25.n} cameras`,
      target: '< ~150 MB',
      measured: `median ${fmt(s25.nodePssMedianMiB)} MiB, max ${fmt(s25.nodePssMaxMiB)} MiB`,
      verdict: ok(s25.nodePssMaxMiB * 1.048576 < 150),
    });
    out.push({
      metric: `ffmpeg of a G.711 camera (audio → AAC), ${s25.n} cameras`,
      target: '≤ ~1 % of a core',
      measured: `${fmt(s25.ffmpegTranscodeEachPct, 2)} % (an AAC camera: ${fmt(s25.ffmpegCopyEachPct, 2)} %; transcoding adds ${fmt(s25.ffmpegTranscodeEachPct - s25.ffmpegCopyEachPct, 2)} %)`,
      verdict: ok(s25.ffmpegTranscodeEachPct <= 1.05),
    });
  }
  if (r.capacity) {
    const c = r.capacity;
    out.push({
      metric: 'Cameras per machine (all checks pass)',
      target: 'measure',
      measured: `${c.largestPassing ?? 'none'}${c.firstFailing ? ` (fails at ${c.firstFailing})` : ' (no failing count found)'}${c.confirmed === undefined ? '' : c.confirmed ? `; confirmed over ${c.config.confirmSeconds / 60} min` : '; NOT confirmed over the long run'}`,
      verdict: '—',
    });
  }
  if (r.upload) {
    for (const s of r.upload.summary.filter((x) => r.upload?.config.sizesMiB.includes(x.sizeMiB))) {
      out.push({
        metric: `Upload throughput, ${s.sizeMiB} MiB segment, vs raw PutObject`,
        target: '≥ 90 %',
        measured: `upload step ${fmt(s.uploadRatio * 100, 0)} % (${fmt(s.recorderUploadMiBps, 0)} vs ${fmt(s.rawMiBps, 0)} MiB/s); end to end incl. ffprobe + digests ${fmt(s.endToEndRatio * 100, 0)} %`,
        verdict: ok(s.uploadRatio >= 0.9),
      });
    }
    // flat: the largest segment does not need more memory than one half its size (or less)
    const sorted = [...r.upload.summary].sort((a, b) => a.sizeMiB - b.sizeMiB);
    const largest = sorted[sorted.length - 1];
    const half = [...sorted].reverse().find((x) => largest !== undefined && x.sizeMiB <= largest.sizeMiB / 2);
    const growth = largest && half ? largest.peakRssMiB - half.peakRssMiB : NaN;
    for (const d of r.upload.digests?.summary ?? []) {
      out.push({
        metric: `Upload path CPU per GiB with Content-MD5 and ETag checks, ${d.sizeMiB} MiB segment, vs the code before them`,
        target: '≤ 120 %',
        measured: `${fmt(d.newOverOld * 100, 0)} % (${fmt(d.newCpuSecPerGiB, 2)} vs ${fmt(d.oldCpuSecPerGiB, 2)} CPU s per GiB, ${r.upload.digests.pairsPerSize} pairs)`,
        verdict: ok(d.newOverOld <= 1.2),
      });
    }
    out.push({
      metric: 'Recorder peak RSS while uploading, by segment size',
      target: 'flat in segment size',
      measured: `${sorted.map((s) => `${s.sizeMiB} MiB: ${fmt(s.peakRssMiB, 0)} MiB`).join(', ')} (idle ${fmt(r.upload.idlePeakRssMiB, 0)} MiB; ${largest?.sizeMiB} MiB vs ${half?.sizeMiB} MiB: ${growth >= 0 ? '+' : ''}${fmt(growth, 0)} MiB)`,
      verdict: ok(growth <= 16),
    });
  }
  if (r.recovery) {
    const l = r.recovery.latencySummary;
    out.push({
      metric: `Segment closed → object visible (${fmt(l.bytesMedianMiB)} MiB segments, ${r.recovery.config.cameras} cameras)`,
      target: '≤ 1 s + transfer',
      measured: `median ${fmt(l.medianSec, 2)} s, p95 ${fmt(l.p95Sec, 2)} s; minus the transfer (Upload+HEAD): median ${fmt(l.overheadMedianSec, 2)} s, p95 ${fmt(l.overheadP95Sec, 2)} s`,
      verdict: ok(l.overheadP95Sec <= 1),
    });
  }
  const cap = r.capacity?.steps.filter((s) => s.pass).at(-1);
  if (cap) {
    out.push({
      metric: `Segment closed → stored at ${cap.n} cameras (recorder's own HEAD)`,
      target: '≤ 1 s + transfer',
      measured: `median ${fmt(cap.latency.medianSec, 2)} s, p95 ${fmt(cap.latency.p95Sec, 2)} s`,
      verdict: '—',
    });
  }
  if (r.adds) {
    const a = r.adds;
    const first = spread(a.runtime.samples, 'firstSegmentSec');
    const base = spread(a.startup.samples, 'firstSegmentSec');
    out.push({
      metric: `${a.config.cameras} cameras added one by one over POST /api/cameras: time to first segment (${a.config.segmentSeconds} s clock-aligned segments)`,
      target: 'measure',
      measured: `median ${fmt(first.median, 1)} s, p95 ${fmt(first.p95, 1)} s (the same cameras at start: median ${fmt(base.median, 1)} s, p95 ${fmt(base.p95, 1)} s)`,
      verdict: '—',
    });
    out.push({
      metric: `Recorder Node.js CPU while adding ${a.config.cameras} cameras, vs right after`,
      target: 'measure',
      measured: `${fmt(a.runtime.adds.nodePct, 1)} % vs ${fmt(a.runtime.after.nodePct, 1)} % of a core; other cameras restarted: ${a.runtime.restartsOfOthers}`,
      verdict: a.runtime.restartsOfOthers === 0 ? 'met' : '**MISSED**',
    });
  }
  if (r.soak) out.push(...soakTarget(r.soak));
  return out;
}

export function renderReport(r: Results): string {
  const parts: string[] = [];
  const m = r.machine;
  parts.push(
    `## ${r.mode} mode — ${r.startedAt.slice(0, 10)}`,
    '',
    `Command: \`${r.command}\` (${fmt(r.wallMinutes)} min wall time)`,
    '',
    `Machine: ${m.nproc} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB RAM, Linux ${m.kernel}; Node.js ${m.node}; ${m.ffmpeg}; gst-rtsp-server ${m.gstreamer}; ${m.ceph}. Load average at start: ${m.loadavgAtStart}.`,
    '',
  );
  if (r.command.includes('--profile'))
    parts.push(
      '**Profiled run**: the V8 sampling profiler runs in the recorder process, so its CPU numbers are inflated; use a run without `--profile` for CPU.',
      '',
    );
  if (r.errors.length > 0) parts.push('Errors:', '', ...r.errors.map((e) => `- ${e.bench}: ${e.error}`), '');
  parts.push(
    '### Targets',
    '',
    table(
      ['metric', 'target', 'measured', 'verdict'],
      targets(r).map((t) => [t.metric, t.target, t.measured, t.verdict]),
    ),
    '',
  );

  if (r.cost) {
    const c = r.cost;
    parts.push(
      `### 1. Cost per camera (${c.config.rounds} round(s), ${c.config.windowSeconds} s windows, ${c.config.segmentSeconds} s segments; % = share of one core; medians over rounds)`,
      '',
      table(
        [
          'cameras',
          'baseline ffmpeg',
          'recorder ffmpeg',
          'node',
          'ffprobe (per segment)',
          'recorder total',
          'total / baseline',
          'node / baseline',
          'node per camera',
          'node PSS median / max',
          'ffmpeg PSS per camera',
          'ffmpeg AAC / G.711 camera',
          'camera server',
          'store',
          'machine busy (outside the bench)',
          'segments uploaded per window',
        ],
        c.summary.map((s) => [
          s.n,
          `${fmt(s.baselineFfmpegPct, 2)} %`,
          `${fmt(s.recorderFfmpegPct, 2)} %`,
          `${fmt(s.nodePct, 2)} %`,
          `${fmt(s.childrenPct, 2)} %`,
          `${fmt(s.recorderTotalPct, 2)} %`,
          `${fmt(s.overheadRatio, 2)}×`,
          `${fmt(s.nodeAddsPct, 0)} %`,
          `${fmt(s.nodePctPerCamera, 2)} %`,
          `${fmt(s.nodePssMedianMiB)} / ${fmt(s.nodePssMaxMiB)} MiB`,
          `${fmt(s.ffmpegPssPerCameraMiB)} MiB`,
          `${fmt(s.ffmpegCopyEachPct, 2)} / ${fmt(s.ffmpegTranscodeEachPct, 2)} %`,
          `${fmt(s.cameraServerPct, 0)} %`,
          `${fmt(s.storePct, 1)} %`,
          `${fmt(s.machineBusyPct, 0)} % (${fmt(s.outsidePct, 0)} %)`,
          fmt(s.segmentsPerRun, 0),
        ]),
      ),
      '',
    );
    parts.push(
      `Steady state (${c.config.steadySegmentSeconds / 60}-min segments, no segment closing in the window): what supervising the cameras costs, apart from the per-segment work.`,
      '',
      table(
        ['cameras', 'node', 'node / baseline ffmpeg', 'node per camera', 'node PSS median / max', 'per-segment work (CPU s per GiB stored)'],
        c.summary.map((s) => [
          s.n,
          `${fmt(s.steadyNodePct, 2)} %`,
          `${fmt(s.steadyNodeAddsPct, 1)} %`,
          `${fmt(s.steadyNodePct / s.n, 3)} %`,
          `${fmt(s.steadyNodePssMedianMiB)} / ${fmt(s.steadyNodePssMaxMiB)} MiB`,
          fmt(s.perSegmentCpuSecPerGiB, 2),
        ]),
      ),
      '',
    );
    const problems = c.runs.filter((x) => x.problems.length > 0);
    if (problems.length > 0)
      parts.push(
        'Problems seen:',
        '',
        ...problems.map(
          (x) => `- ${x.variant} n=${x.n} round ${x.round}: ${x.problems.join('; ')}${x.excluded ? ' (run repeated; this one is not in the table)' : ''}`,
        ),
        '',
      );
  }
  if (r.encoder) {
    parts.push(
      `Camera server: one x264 1080p15 pipeline costs ${fmt(r.encoder.perEncoderPct)} % of a core (default server, one pipeline per camera); the shared-source server used here costs ${fmt(r.encoder.sharedServerPct)} % whatever the camera count.`,
      '',
    );
  }
  if (r.capacity) {
    const c = r.capacity;
    parts.push(
      `### 2. Cameras per machine (${c.config.segmentSeconds} s segments; steps of ${c.config.stepSeconds} s${c.config.confirmSeconds ? `, confirmation ${c.config.confirmSeconds / 60} min` : ''})`,
      '',
      table(
        [
          'run',
          'cameras',
          'result',
          'full segments',
          'max abs(duration − target)',
          'gap min..max',
          'closed → stored p50 / p95',
          'upload queue max',
          'start-up retries',
          'fps (checked)',
          'node',
          'ffmpeg',
          'ffprobe',
          'camera server',
          'store',
          'bench',
          'machine busy',
          'outside',
          'node PSS max',
          'why it failed',
        ],
        c.steps.map((s) => [
          s.kind,
          s.n,
          s.pass ? 'pass' : '**fail**',
          s.continuity.fullSegments,
          `${fmt(s.continuity.maxDurationDevSec, 2)} s`,
          `${fmt(s.continuity.minGapSec, 2)}..${fmt(s.continuity.maxGapSec, 2)} s`,
          `${fmt(s.latency.medianSec, 2)} / ${fmt(s.latency.p95Sec, 2)} s`,
          s.backlogMaxSegments,
          s.startupRetries ?? 0,
          s.deep.length ? `${fmt(Math.min(...s.deep.map((d) => d.fps)), 2)}..${fmt(Math.max(...s.deep.map((d) => d.fps)), 2)}` : 'n/a',
          `${fmt(s.cpu.recorderNode)} %`,
          `${fmt(s.cpu.recorderFfmpeg)} %`,
          `${fmt(s.cpu.recorderFfprobe)} %`,
          `${fmt(s.cpu.cameraServer)} %`,
          `${fmt(s.cpu.store)} %`,
          `${fmt(s.cpu.bench)} %`,
          `${fmt(s.cpu.machineBusy, 0)} %`,
          `${fmt(s.cpu.outside, 0)} %`,
          `${fmt(s.nodePssMaxMiB, 0)} MiB`,
          s.reasons.join('; ') || '—',
        ]),
      ),
      '',
    );
    const rechecked = c.steps.filter((s) => (s.videoRechecked ?? []).length > 0);
    if (rechecked.length > 0) {
      parts.push(
        'Durations are the stored (container) ones, which span audio and video. Segments whose container duration was off by more than one GOP were downloaded and judged by their video track:',
        '',
        ...rechecked.map((s) => {
          const v = s.videoRechecked;
          const over = v.map((x) => x.containerSec - c.config.segmentSeconds);
          return `- ${s.kind} n=${s.n}: ${v.length} segments, container ${fmt(Math.min(...v.map((x) => x.containerSec)), 3)}..${fmt(Math.max(...v.map((x) => x.containerSec)), 3)} s (up to ${fmt((Math.max(...over) - CAMERA.gopSec) * 1000, 0)} ms past target + GOP), video track ${fmt(Math.min(...v.map((x) => x.videoSec)), 3)}..${fmt(Math.max(...v.map((x) => x.videoSec)), 3)} s.`;
        }),
        '',
      );
    }
  }
  if (r.upload) {
    const u = r.upload;
    parts.push(
      '### 3. Upload path (medians over repetitions; ratios per back-to-back pair)',
      '',
      table(
        [
          'segment',
          'raw PutObject',
          'recorder Upload+HEAD',
          'recorder end to end',
          'upload / raw',
          'end to end / raw',
          'CPU per GiB: raw / recorder node',
          'recorder peak RSS',
        ],
        u.summary.map((s) => [
          `${s.sizeMiB} MiB`,
          `${fmt(s.rawMiBps, 0)} MiB/s`,
          `${fmt(s.recorderUploadMiBps, 0)} MiB/s`,
          `${fmt(s.recorderEndToEndMiBps, 0)} MiB/s`,
          `${fmt(s.uploadRatio * 100, 0)} %`,
          `${fmt(s.endToEndRatio * 100, 0)} %`,
          `${fmt(s.rawCpuSecPerGiB, 2)} / ${fmt(s.nodeCpuSecPerGiB, 2)} s`,
          `${fmt(s.peakRssMiB, 0)} MiB`,
        ]),
      ),
      '',
      `Idle recorder peak RSS: ${fmt(u.idlePeakRssMiB, 0)} MiB.${u.concurrent ? ` ${u.config.concurrent.count} × ${u.config.concurrent.sizeMiB} MiB left at once: raw ${fmt(u.concurrent.raw.mibPerSec, 0)} MiB/s (4 PutObjects in parallel), recorder ${fmt(u.concurrent.recorder.endToEndMiBps, 0)} MiB/s end to end, peak RSS ${fmt(u.concurrent.recorder.peakRssMiB, 0)} MiB.` : ''}`,
      '',
    );
    if (u.digests) {
      parts.push(
        `Upload path without and with Content-MD5 (one process, the same files, ${u.digests.pairsPerSize} pairs per size, alternating which goes first): old = the code before Content-MD5 (a sha256 file stream, requests without Content-MD5, HEAD); new = the service's (sha256 and part MD5s in one read, Content-MD5 on every request, HEAD and ETag check); new without MD5 = the service's code with the sha256 read alone and the Content-MD5 header removed. CPU s per GiB, medians; ratios per pair.`,
        '',
        digestTable(u.digests),
        '',
      );
    }
  }
  if (r.recovery) {
    const v = r.recovery;
    const l = v.latencySummary;
    parts.push(
      `### 3b. Latency and 4. recovery (${v.config.cameras} cameras, ${v.config.segmentSeconds} s segments)`,
      '',
      `Segment closed (list line seen) → object visible (own HEAD, polled every 50 ms), ${l.n} segments of ~${fmt(l.bytesMedianMiB)} MiB: median ${fmt(l.medianSec, 2)} s, p95 ${fmt(l.p95Sec, 2)} s. The recorder's own Upload+HEAD took ${fmt(l.medianUploadSec, 2)} s (median); the rest — noticing the line (${fmt(l.detectMedianSec, 3)} s), ffprobe, sha256, queueing — median ${fmt(l.overheadMedianSec, 2)} s, p95 ${fmt(l.overheadP95Sec, 2)} s.`,
      '',
    );
    if (v.cameraOutages.length > 0) {
      parts.push(
        table(
          ['camera outage', 'camera back → first new segment written (per camera)', 'median', 'max', 'restart delay in force (ms)'],
          v.cameraOutages.map((o) => {
            const vals = Object.values(o.recoverySec);
            return [
              `${o.outageSec} s`,
              Object.entries(o.recoverySec)
                .map(([k, x]) => `${k}: ${fmt(x, 2)} s`)
                .join(', '),
              `${fmt(vals.sort((a, b) => a - b)[Math.floor((vals.length - 1) / 2)], 2)} s`,
              `${fmt(Math.max(...vals), 2)} s`,
              Object.values(o.lastBackoffMs).join(', '),
            ];
          }),
        ),
        '',
      );
    }
    if (v.storeOutage) {
      const s = v.storeOutage;
      parts.push(
        `Store outage of ${s.outageSec} s with ${v.config.cameras} cameras recording: backlog ${s.backlogSegments} segments (${fmt(s.backlogMiB, 0)} MiB); store back → first upload ${fmt(s.firstUploadSec, 1)} s, → backlog drained ${fmt(s.drainSec, 1)} s (of which transfer after the first upload ${fmt(s.transferSec, 1)} s); ${s.uploadFailures} failed attempts logged. Finished segments missing from the store afterwards: ${v.lost.length}.`,
        '',
      );
    }
  }
  if (r.adds) parts.push(renderAdds(r.adds));
  if (r.soak) parts.push(renderSoak(r.soak));
  return parts.join('\n');
}

function renderAdds(a: CameraAddsResult): string {
  const row = (label: string, samples: CameraAddsResult['runtime']['samples']): (string | number)[] => {
    const answer = spread(samples, 'answerMs');
    const connected = spread(samples, 'connectedSec');
    const firstSegment = spread(samples, 'firstSegmentSec');
    return [
      label,
      samples.length,
      Number.isFinite(answer.median) ? `${fmt(answer.median, 0)} / ${fmt(answer.p95, 0)} ms` : '—',
      `${fmt(connected.median, 2)} / ${fmt(connected.p95, 2)} s`,
      `${fmt(firstSegment.median, 1)} / ${fmt(firstSegment.p95, 1)} s`,
    ];
  };
  const win = (label: string, w: CameraAddsResult['startup']['window']): (string | number)[] => [
    label,
    `${fmt(w.seconds, 0)} s`,
    `${fmt(w.nodePct, 1)} %`,
    `${fmt(w.ffmpegPct, 1)} %`,
  ];
  return [
    `### 6. Cameras added at runtime (${a.config.cameras} cameras, ${a.config.segmentSeconds} s segments)`,
    '',
    'Runtime: a recorder with one camera gets the others over POST /api/cameras, one by one (the next once the last is connected); times from the POST. At start: the same cameras from the environment; times from the process start. p50 / p95.',
    '',
    table(
      ['how', 'cameras', 'POST → 201', '→ stream connected', '→ first segment finished'],
      [row('added at runtime', a.runtime.samples), row('configured at start', a.startup.samples)],
    ),
    '',
    table(
      ['window', 'length', 'recorder Node.js', 'recorder ffmpegs'],
      [
        win('while adding', a.runtime.adds),
        win('right after (all recording)', a.runtime.after),
        win('start with all of them (until all connected)', a.startup.window),
      ],
    ),
    '',
    `Restarts of cameras other than the one being added: ${a.runtime.restartsOfOthers}.`,
    '',
  ].join('\n');
}
