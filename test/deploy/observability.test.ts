// Alerts and dashboard against the real thing: every PromQL expression parses, and every metric and
// label it selects is one a running camera-recorder exports (started here with a synthetic camera
// and the filesystem store, scraped once a segment is stored). promtool checks the rules and runs
// their unit tests (test/deploy/alerts.promtool.yaml). Every alert has a runbook section.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { parseDuration, parseSize } from '../../src/config/units.ts';
import { createMetrics } from '../../src/metrics.ts';
import { freePort } from '../support/ports.ts';
import { RecorderProcess } from '../support/recorder-process.ts';
import {
  analyzePromql,
  checkAgainstExports,
  expandGrafanaVariables,
  findObject,
  kustomize,
  parseExposition,
  read,
  requireTool,
  ROOT,
  yamlDoc,
  type Exported,
  type K8sObject,
} from './lib.ts';

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleGroup {
  name: string;
  rules: Rule[];
}

const rendered = kustomize('manifests').objects;
const ruleObject = findObject(rendered, 'PrometheusRule') as K8sObject & { spec: { groups: RuleGroup[] } };
const alerts = ruleObject.spec.groups.flatMap((g) => g.rules).filter((r): r is Rule & { alert: string } => r.alert !== undefined);
const configMap = findObject(rendered, 'ConfigMap', 'camera-recorder-config') as K8sObject & { data: Record<string, string> };
const service = findObject(rendered, 'Service');
const application = yamlDoc<{ spec: { source: { repoURL: string } } }>('manifests/argocd-application.yaml');
const dashboardMap = findObject(rendered, 'ConfigMap', 'camera-recorder-dashboard') as K8sObject & { data: Record<string, string> };

interface Target {
  expr?: string;
  refId: string;
  datasource?: { type?: string; uid?: string };
  legendFormat?: string;
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  datasource?: { uid?: string };
  targets?: Target[];
  panels?: Panel[];
}
interface Variable {
  name: string;
  type: string;
  query?: string | { query: string };
  definition?: string;
  multi?: boolean;
  includeAll?: boolean;
  datasource?: { uid?: string };
}
interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: Variable[] };
}

const dashboardFiles = Object.keys(dashboardMap.data);
const dashboard = JSON.parse(dashboardMap.data[dashboardFiles[0] ?? ''] ?? 'null') as Dashboard;
const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);

/** The alerts a deployment must have (the list plus recorder-down). */
const REQUIRED_ALERTS = [
  'CameraRecorderDown',
  'CameraDisconnected',
  'CameraNoSegmentUploaded',
  'CameraUploadsFailing',
  'CameraBacklogGrowing',
  'CameraBacklogNearCap',
  'CameraFfmpegRestartLoop',
  'CameraSegmentsDropped',
  'CameraSegmentsQuarantined',
  'CameraStoreDown',
  'CameraPictureBlack',
  'CameraPictureFrozen',
  'CameraCovered',
  'CameraBlurred',
  'CameraMoved',
  'CameraFramesNotAnalysed',
  'CameraEventSinkDown',
  'CameraEventsDropped',
];

let exported: Exported;
let recorder: RecorderProcess | undefined;
const dir = mkdtempSync(join(tmpdir(), 'deploy-metrics-'));

const definitions = createMetrics();

/** Label names of families that have no sample yet, from the service's own metric definitions. */
function declaredLabels(family: string): string[] {
  const metric = definitions.registry.getSingleMetric(family) as unknown as { labelNames?: unknown } | undefined;
  if (metric === undefined) return [];
  assert.ok(Array.isArray(metric.labelNames), `prom-client no longer exposes labelNames on ${family}`);
  return metric.labelNames as string[];
}

before(async () => {
  const port = await freePort();
  recorder = new RecorderProcess(
    {
      STORAGE: 'filesystem',
      FILESYSTEM_ROOT: join(dir, 'bucket'),
      TEMP_DIR: join(dir, 'spool'),
      SEGMENT_DURATION: '2s',
      CAMERA1_RTSP_URL: 'synthetic:?size=320x240&fps=10',
    },
    port,
  );
  // Once a segment is stored, the upload and segment series exist too.
  await recorder.until(async () => (await recorder!.metric('camera_segments_uploaded_total')) >= 1, 90_000, 'a stored segment');
  const { status, body } = await recorder.get('/metrics');
  assert.equal(status, 200);
  exported = parseExposition(body, declaredLabels);
});

after(async () => {
  await recorder?.stop('SIGTERM', 30_000);
  rmSync(dir, { recursive: true, force: true });
});

describe('metrics the service exports', () => {
  test('the scrape holds every camera_* family of src/metrics.ts, histograms as _bucket/_sum/_count', async () => {
    const declared = await definitions.registry.getMetricsAsJSON();
    assert.ok(declared.length > 10);
    for (const m of declared.filter((x) => x.name.startsWith('camera_'))) {
      assert.equal(exported.families.get(m.name), m.type, `${m.name} in /metrics`);
    }
    assert.ok(exported.samples.get('camera_segment_upload_duration_seconds_bucket')?.has('le'));
    assert.ok(exported.samples.has('camera_segment_upload_duration_seconds_count'));
    assert.ok(!exported.samples.has('camera_segment_upload_duration_seconds'), 'a histogram has no bare series');
    assert.ok(exported.samples.get('camera_segments_dropped_total')?.has('reason'));
  });

  test('the checker rejects what the service does not export (so the checks below can fail)', () => {
    assert.deepEqual(checkAgainstExports('camera_stream_connected{camera_id="a"} == 0', exported), []);
    assert.deepEqual(checkAgainstExports('rate(camera_segments_uploaded[5m])', exported), [
      'metric camera_segments_uploaded is not exported by camera-recorder',
    ]);
    assert.deepEqual(checkAgainstExports('camera_segment_upload_duration_seconds > 1', exported), [
      'metric camera_segment_upload_duration_seconds is not exported by camera-recorder',
    ]);
    assert.match(checkAgainstExports('camera_store_up{camera_id="x"}', exported)[0] ?? '', /has no label "camera_id"/);
    assert.match(checkAgainstExports('sum(rate(camera_upload_failures_total[5m])', exported)[0] ?? '', /syntax error/);
    assert.match(checkAgainstExports('{__name__="camera_store_up"}', exported).join(), /metric name/);
  });
});

describe('PrometheusRule', () => {
  test('has the alerts an on-call needs, each with severity, summary, description and a runbook link', () => {
    const names = alerts.map((a) => a.alert);
    assert.equal(new Set(names).size, names.length, 'alert names are unique');
    for (const name of REQUIRED_ALERTS) assert.ok(names.includes(name), `missing alert ${name}`);
    const repo = application.spec.source.repoURL.replace(/\.git$/, '');
    for (const a of alerts) {
      assert.ok(['critical', 'warning'].includes(a.labels?.severity ?? ''), `${a.alert}: severity critical (page) or warning (ticket)`);
      assert.ok(a.annotations?.summary && a.annotations.description, `${a.alert}: summary and description`);
      assert.equal(a.annotations.runbook_url, `${repo}/blob/main/RUNBOOK.md#${a.alert.toLowerCase()}`, `${a.alert}: runbook_url`);
      if (a.for !== undefined) assert.match(a.for, /^(\d+[smhd])+$/, `${a.alert}: for`);
    }
  });

  test('every expression parses and selects only metrics and labels camera-recorder exports', () => {
    const problems = alerts.flatMap((a) => checkAgainstExports(a.expr, exported).map((p) => `${a.alert}: ${p}`));
    assert.deepEqual(problems, []);
    // A job matcher names the Service (the ServiceMonitor's job label).
    for (const a of alerts) {
      for (const s of analyzePromql(a.expr).selectors) {
        for (const m of s.matchers.filter((x) => x.name === 'job')) assert.equal(m.value, service.metadata.name, `${a.alert}: job="${m.value}"`);
      }
    }
  });

  test('thresholds follow the ConfigMap: 2 x SEGMENT_DURATION without uploads, BACKLOG_MAX_BYTES as the cap', () => {
    const segment = parseDuration(configMap.data.SEGMENT_DURATION ?? '') as number;
    const window = 2 * segment;
    const noUpload = analyzePromql(alerts.find((a) => a.alert === 'CameraNoSegmentUploaded')?.expr ?? '');
    assert.ok(noUpload.ranges.length > 0);
    for (const r of noUpload.ranges) assert.equal(parseDuration(r), window, `CameraNoSegmentUploaded range [${r}] must be 2 x SEGMENT_DURATION`);
    assert.ok(noUpload.numbers.includes(window / 1000), `CameraNoSegmentUploaded: uptime guard of ${window / 1000} s`);
    const cap = parseSize(configMap.data.BACKLOG_MAX_BYTES ?? '') as number;
    for (const name of ['CameraBacklogGrowing', 'CameraBacklogNearCap']) {
      assert.ok(analyzePromql(alerts.find((a) => a.alert === name)?.expr ?? '').numbers.includes(cap), `${name} must use BACKLOG_MAX_BYTES = ${cap}`);
    }
  });

  test('every alert has its section in RUNBOOK.md, and every section an alert', () => {
    const runbook = read('RUNBOOK.md');
    const sections = [...runbook.matchAll(/^## (\S+)\s*$/gm)].map((m) => m[1] as string).filter((h) => /^Camera[A-Z]/.test(h));
    assert.deepEqual([...sections].sort(), alerts.map((a) => a.alert).sort());
    for (const a of alerts) {
      const body = runbook.split(new RegExp(`^## ${a.alert}\\s*$`, 'm'))[1]?.split(/^## /m)[0] ?? '';
      for (const part of ['Meaning', 'Check', 'Fix']) assert.match(body, new RegExp(`^### ${part}`, 'm'), `RUNBOOK.md ${a.alert}: ### ${part}`);
    }
  });

  test('promtool accepts the rules and their unit tests pass', () => {
    requireTool('promtool', ['--version'], 'apt-get install prometheus');
    const work = mkdtempSync(join(tmpdir(), 'promtool-'));
    try {
      writeFileSync(join(work, 'full.yaml'), stringify({ groups: ruleObject.spec.groups }));
      const check = spawnSync('promtool', ['check', 'rules', 'full.yaml'], { cwd: work, encoding: 'utf8' });
      assert.equal(check.status, 0, check.stdout + check.stderr);
      // The unit tests compare labels; annotations (checked above) are left out of their copy.
      const groups = ruleObject.spec.groups.map((g) => ({ ...g, rules: g.rules.map(({ annotations: _, ...r }) => r) }));
      writeFileSync(join(work, 'rules.yaml'), stringify({ groups }));
      copyFileSync(join(ROOT, 'test/deploy/alerts.promtool.yaml'), join(work, 'alerts.promtool.yaml'));
      const unit = spawnSync('promtool', ['test', 'rules', 'alerts.promtool.yaml'], { cwd: work, encoding: 'utf8' });
      assert.equal(unit.status, 0, unit.stdout + unit.stderr);
      // Every alert has at least one unit test.
      const tests = read('test/deploy/alerts.promtool.yaml');
      for (const a of alerts) assert.match(tests, new RegExp(`alertname: ${a.alert}\\b`), `${a.alert} has no promtool unit test`);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});

describe('Grafana dashboard', () => {
  test('is a ConfigMap the Grafana sidecar picks up, holding one dashboard', () => {
    assert.equal(dashboardMap.metadata.labels?.grafana_dashboard, '1');
    assert.equal(dashboardFiles.length, 1);
    assert.match(dashboardFiles[0] ?? '', /\.json$/);
    assert.equal(dashboard.uid, 'camera-recorder');
    assert.ok(dashboard.title && typeof dashboard.schemaVersion === 'number');
  });

  test('has a data source variable and a multi-select camera variable fed by camera_id', () => {
    const vars = new Map(dashboard.templating.list.map((v) => [v.name, v]));
    assert.equal(vars.get('datasource')?.type, 'datasource');
    assert.equal((vars.get('datasource') as { query?: string }).query, 'prometheus');
    const camera = vars.get('camera');
    assert.ok(camera && camera.type === 'query' && camera.multi === true && camera.includeAll === true);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Grafana variable, not a template
    assert.equal(camera.datasource?.uid, '${datasource}');
    for (const v of dashboard.templating.list.filter((x) => x.type === 'query')) {
      const q = typeof v.query === 'string' ? v.query : (v.query?.query ?? '');
      const m = /^label_values\((.+),\s*(\w+)\)$/.exec(q);
      assert.ok(m, `variable ${v.name}: label_values(selector, label)`);
      assert.deepEqual(checkAgainstExports(m[1] as string, exported), [], `variable ${v.name}`);
      const metric = analyzePromql(m[1] as string).selectors[0]?.metric ?? '';
      const label = m[2] as string;
      assert.ok(exported.samples.get(metric)?.has(label) || ['namespace', 'pod', 'job'].includes(label), `variable ${v.name}: ${metric} has no label ${label}`);
    }
    assert.match(String((camera.query as { query: string }).query), /, camera_id\)$/);
  });

  test('every query parses, uses exported metrics only, and per-camera series follow $camera', () => {
    const problems: string[] = [];
    for (const p of panels.filter((x) => x.type !== 'row')) {
      assert.ok(p.targets && p.targets.length > 0, `panel "${p.title}" has no query`);
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a Grafana variable, not a template
      assert.equal(p.datasource?.uid, '${datasource}', `panel "${p.title}": data source variable`);
      const refIds = new Set<string>();
      for (const t of p.targets) {
        assert.ok(!refIds.has(t.refId), `panel "${p.title}": duplicate refId ${t.refId}`);
        refIds.add(t.refId);
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a Grafana variable, not a template
        assert.equal(t.datasource?.uid, '${datasource}', `panel "${p.title}" ${t.refId}: data source variable`);
        assert.ok(t.expr, `panel "${p.title}" ${t.refId}: no expr`);
        const expr = expandGrafanaVariables(t.expr);
        problems.push(...checkAgainstExports(expr, exported).map((x) => `"${p.title}" ${t.refId}: ${x}`));
        for (const s of analyzePromql(expr).selectors) {
          if (s.metric && exported.samples.get(s.metric)?.has('camera_id')) {
            assert.ok(
              s.matchers.some((m) => m.name === 'camera_id' && m.op === '=~' && m.value === '$camera'),
              `"${p.title}" ${t.refId}: ${s.metric} must filter camera_id=~"$camera"`,
            );
          }
        }
      }
    }
    assert.deepEqual(problems, []);
  });

  test('shows connection state, recorded vs uploaded, upload latency percentiles, failures, restarts, backlog and segment age', () => {
    const exprs = panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? ''));
    const used = new Set(exprs.flatMap((e) => analyzePromql(expandGrafanaVariables(e)).selectors.map((s) => s.metric)));
    for (const metric of [
      'camera_stream_connected',
      'camera_segments_recorded_total',
      'camera_segments_uploaded_total',
      'camera_segment_upload_duration_seconds_bucket',
      'camera_upload_failures_total',
      'camera_ffmpeg_restarts_total',
      'camera_backlog_bytes',
      'camera_last_segment_age_seconds',
    ]) {
      assert.ok(used.has(metric), `no panel shows ${metric}`);
    }
    const quantiles = exprs.filter((e) => e.startsWith('histogram_quantile(') && e.includes('camera_segment_upload_duration_seconds_bucket'));
    assert.ok(quantiles.length >= 3, 'upload latency percentiles');
  });

  test('shows video health per camera, motion, the age of the analysed frame, frames dropped and snapshots', () => {
    const byMetric = new Map<string, string[]>();
    for (const p of panels)
      for (const t of p.targets ?? [])
        for (const s of analyzePromql(expandGrafanaVariables(t.expr ?? '')).selectors)
          byMetric.set(s.metric ?? '', [...(byMetric.get(s.metric ?? '') ?? []), p.type]);
    assert.deepEqual(byMetric.get('camera_video_problem'), Array(5).fill('state-timeline'), 'one state timeline, every problem in it');
    assert.ok(byMetric.get('camera_motion_active')?.includes('state-timeline'), 'motion as a state timeline');
    for (const metric of [
      'camera_motion_events_total',
      'camera_frame_age_seconds',
      'camera_frames_analysed_total',
      'camera_frames_dropped_total',
      'camera_snapshots_stored_total',
      'camera_snapshots_skipped_total',
    ])
      assert.ok(byMetric.has(metric), `no panel shows ${metric}`);
    const health = panels.find((p) => p.targets?.some((t) => t.expr?.includes('camera_video_problem')));
    const problems = [...(health?.targets?.[0]?.expr ?? '').matchAll(/problem="(\w+)"/g)].map((m) => m[1]);
    assert.deepEqual(problems.sort(), ['black', 'blurred', 'covered', 'frozen', 'moved']);
  });

  test('panels have unique ids, known types and fit the 24-column grid without overlapping', () => {
    const KNOWN = new Set(['timeseries', 'stat', 'state-timeline', 'gauge', 'bargauge', 'table', 'text', 'row', 'status-history', 'heatmap']);
    const ids = new Set<number>();
    const cells = new Set<string>();
    for (const p of panels) {
      assert.ok(!ids.has(p.id), `duplicate panel id ${p.id}`);
      ids.add(p.id);
      assert.ok(KNOWN.has(p.type), `panel "${p.title}": unknown type ${p.type}`);
      const g = p.gridPos;
      assert.ok(g.x >= 0 && g.w > 0 && g.x + g.w <= 24 && g.h > 0 && g.y >= 0, `panel "${p.title}": gridPos ${JSON.stringify(g)}`);
      for (let x = g.x; x < g.x + g.w; x++) {
        for (let y = g.y; y < g.y + g.h; y++) {
          assert.ok(!cells.has(`${x},${y}`), `panel "${p.title}" overlaps another at ${x},${y}`);
          cells.add(`${x},${y}`);
        }
      }
    }
  });
});
