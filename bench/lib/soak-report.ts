// Markdown of the soak benchmark's result (report.md and BENCHMARKS.md).
import { describeFault } from './faults.ts';
import type { Distribution, SoakResult } from './soak-check.ts';
import { fmt } from './stats.ts';

function table(head: string[], rows: (string | number)[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}
const d = (x: Distribution): string => (x.n === 0 ? 'none' : `median ${fmt(x.median, 2)} s, p95 ${fmt(x.p95, 2)} s, max ${fmt(x.max, 2)} s (n=${x.n})`);

export function soakTarget(s: SoakResult): { metric: string; target: string; measured: string; verdict: string }[] {
  const ok = (p: boolean): string => (p ? 'met' : '**MISSED**');
  return [
    {
      metric: `Soak: footage not stored and not explained by a fault (${s.config.cameras} cameras, ${fmt(s.wallSec / 60)} min, seed ${s.seed})`,
      target: '0 s',
      measured: `${fmt(s.totals.unaccountedSec, 1)} s of ${fmt(s.totals.expectedSec, 0)} s expected`,
      verdict: ok(s.totals.unaccountedSec === 0),
    },
    {
      metric: 'Soak: recorder RSS growth, second half of the last uninterrupted run',
      target: '< 5 %',
      measured: `${fmt(s.rss.growthPct, 1)} % (${fmt(s.rss.midMiB)} → ${fmt(s.rss.endMiB)} MiB over ${fmt(s.rss.stretchSec / 2, 0)} s)`,
      verdict: ok(s.rss.growthPct < 5),
    },
    {
      metric: 'Soak: after the drain and SIGTERM, TEMP_DIR empty and the bucket complete',
      target: 'yes',
      measured: `${s.tempDirLeft.length} files left; ${s.bucket.missingUploaded.length + s.bucket.unstoredFinished.length} segments missing; exit ${JSON.stringify(s.exit)}`,
      verdict: ok(s.tempDirLeft.length === 0 && s.bucket.missingUploaded.length + s.bucket.unstoredFinished.length === 0 && s.exit?.code === 0),
    },
  ];
}

export function renderSoak(s: SoakResult): string {
  const t = s.tolerances;
  const e = s.totals.explainedSec;
  const parts = [
    `### 5. Soak (${s.config.cameras} cameras, ${s.config.segmentSeconds} s segments, ${fmt(s.wallSec / 60)} min, seed ${s.seed}: ${s.pass ? 'pass' : `**fail** — ${s.reasons.join('; ')}`})`,
    '',
    `Faults (${s.faults.length}, seconds after every camera connected; replay with \`--seed ${s.seed}\`):`,
    '',
    ...s.faults.map((f) => `- ${describeFault(f)}`),
    '',
    `Footage: ${fmt(s.totals.expectedSec, 0)} s expected (cameras up, from each camera's first connection to SIGTERM), ${fmt(s.totals.coveredSec, 0)} s stored, ${fmt(s.totals.uncoveredSec, 1)} s not stored: recorder restarts ${fmt(e.recorderRestart, 1)} s, camera reconnects ${fmt(e.cameraReconnect, 1)} s, dropped ${fmt(e.dropped, 1)} s, quarantined ${fmt(e.quarantined, 1)} s, left on disk at the last stop ${fmt(e.leftOnDisk, 1)} s, shutdown ${fmt(e.shutdown, 1)} s, bounds jitter (pieces ≤ ${t.jitterMs} ms) ${fmt(e.jitter, 1)} s; **unaccounted ${fmt(s.totals.unaccountedSec, 1)} s**. Stored objects overlapping each other: ${fmt(s.totals.overlapSec, 1)} s.`,
    '',
    table(
      ['camera', 'expected', 'stored', 'recorder restarts', 'camera reconnects', 'dropped / quarantined', 'jitter', 'unaccounted', 'overlap', 'reconnects (s)'],
      s.cameras.map((c) => [
        c.camera,
        `${fmt(c.expectedSec, 0)} s`,
        `${fmt(c.coveredSec, 0)} s`,
        `${fmt(c.explainedSec.recorderRestart, 1)} s`,
        `${fmt(c.explainedSec.cameraReconnect, 1)} s`,
        `${fmt(c.explainedSec.dropped, 1)} / ${fmt(c.explainedSec.quarantined, 1)} s`,
        `${fmt(c.explainedSec.jitter, 2)} s`,
        `${fmt(c.unaccountedSec, 1)} s`,
        `${fmt(c.overlapSec, 1)} s`,
        c.reconnectSec.map((x) => fmt(x, 1)).join(', ') || '—',
      ]),
    ),
    '',
    `Camera back (accepting connections) → first stored frame: ${d(s.reconnect)}; allowance ${t.reconnectCapMs / 1000} s per camera restart. Recorder SIGKILL → first stored frame, per camera: ${d(s.restartGap)} (of which the recorder's own start, launch → "stream connected": ${d(s.startToConnected)}); footage before the kill not stored: ${d(s.lostBeforeKill)} (allowance ${t.recorderKillBeforeMs / 1000} s: the fragment ffmpeg had not written, one GOP).`,
    '',
  ];
  for (const c of s.cameras.filter((x) => x.unaccounted.length > 0)) {
    parts.push(
      `Unaccounted, ${c.camera}:`,
      '',
      ...c.unaccounted.flatMap((u) => [`- ${u.from} → ${u.to} UTC (${fmt(u.sec, 2)} s); log around it:`, ...u.context.map((l) => `  - \`${l}\``)]),
      '',
    );
  }
  if (s.lost.length > 0) parts.push('Dropped or quarantined:', '', ...s.lost.map((l) => `- ${l.camera} ${l.file}: ${l.why}, ${fmt(l.sec, 1)} s`), '');
  parts.push(
    `Gap counter (\`camera_recording_gap_seconds_total\`, each run's last scrape, summed): ${
      s.gapCounter
        ? Object.entries(s.gapCounter)
            .map(
              ([cam, r]) =>
                `${cam}: ${Object.entries(r)
                  .map(([k, v]) => `${k} ${fmt(v, 1)} s`)
                  .join(', ')}`,
            )
            .join('; ')
        : 'not exposed by this build'
    }. Other counters: ${
      Object.entries(s.counters)
        .filter(([k]) => k !== 'camera_recording_gap_seconds_total')
        .map(([k, v]) => `${k} ${fmt(v, 0)}`)
        .join(', ') || 'none'
    }.`,
    '',
  );
  parts.push(
    `Memory (recorder Node.js RSS, every 2 s): median ${fmt(s.rss.medianMiB)} MiB, max ${fmt(s.rss.maxMiB)} MiB over ${s.recorderRuns} runs; ~10 s after each start: ${s.rss.afterRestartMiB.map((x) => fmt(x)).join(', ')} MiB. Last run (${fmt(s.rss.stretchSec, 0)} s without a recorder kill): ${fmt(s.rss.midMiB)} MiB at its middle, ${fmt(s.rss.endMiB)} MiB at its end (${fmt(s.rss.growthPct, 1)} %), slope over the second half ${fmt(s.rss.slopeMiBPerHour, 1)} MiB/h.`,
    '',
  );
  parts.push(
    `End: backlog drained ${fmt(s.drainSec, 1)} s after the last fault; SIGTERM exit ${JSON.stringify(s.exit)}; ${s.bucket.objects} objects; missing: ${[...s.bucket.missingUploaded, ...s.bucket.unstoredFinished].join(', ') || 'none'}; small objects checked: ${s.bucket.suspicious.map((x) => `${x.key} (${x.size} B, claims ${x.durationSec} s, ${x.videoPackets} video frames${x.videoPackets > 0 ? '' : ': not counted as footage'})`).join(', ') || 'none'}; consecutive objects overlapping by more than ${t.jitterMs} ms: ${s.bucket.overlaps.map((o) => `${o.key} starts ${fmt(o.sec, 2)} s before ${o.previous} ends`).join(', ') || 'none'}; left in TEMP_DIR: ${s.tempDirLeft.map((f) => `${f.file} (${f.bytes} B)`).join(', ') || 'nothing'}.`,
    '',
  );
  parts.push(
    `Error-level log lines: ${s.errorLines.length ? s.errorLines.map((l) => `run ${l.run} ${l.camera ?? ''} "${l.msg}"${l.file ? ` ${l.file}` : ''}`).join('; ') : 'none'}.${s.harnessErrors.length ? ` Harness: ${s.harnessErrors.join('; ')}.` : ''}`,
    '',
  );
  return parts.join('\n');
}
