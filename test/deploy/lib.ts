// Shared by the deployment checks (test/deploy/*.test.ts): reading manifests, validating them
// against the Kubernetes API schemas (kubernetes-models, plus a check for unknown field names), a
// small kustomize renderer, PromQL analysis, and parsing what a running camera-recorder exports.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parser as promqlParser } from '@prometheus-io/lezer-promql';
import { Application } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application';
import { PodMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { parseAllDocuments } from 'yaml';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const MANIFESTS = join(ROOT, 'manifests');

export const read = (path: string): string => readFileSync(resolve(ROOT, path), 'utf8');

/** Loose view of any Kubernetes object; tests narrow it with asserts. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

/** Every YAML document of a file, parsed strictly (duplicate keys and syntax errors fail). */
export function yamlDocs(path: string): unknown[] {
  const text = read(path);
  const docs = parseAllDocuments(text, { uniqueKeys: true, prettyErrors: true });
  if (!Array.isArray(docs)) return [];
  const out: unknown[] = [];
  for (const doc of docs) {
    const problems = [...doc.errors, ...doc.warnings];
    assert.equal(problems.length, 0, `${path}: ${problems.map((e) => e.message).join('\n')}`);
    const value: unknown = doc.toJS();
    if (value !== null && value !== undefined) out.push(value);
  }
  return out;
}

export function yamlDoc<T = unknown>(path: string): T {
  const docs = yamlDocs(path);
  assert.equal(docs.length, 1, `${path}: expected exactly one YAML document, found ${docs.length}`);
  return docs[0] as T;
}

export function isK8sObject(value: unknown): value is K8sObject {
  const v = value as Partial<K8sObject> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.apiVersion === 'string' &&
    typeof v.kind === 'string' &&
    typeof v.metadata === 'object' &&
    v.metadata !== null &&
    typeof v.metadata.name === 'string'
  );
}

// ---- Kubernetes API schemas (kubernetes-models and its CRD packages) ----------------------------

interface Validatable {
  validate(): void;
}
type ModelCtor = new (data: never) => Validatable;

/** apiVersion/kind → model. A kind missing here fails the test: add its model, never skip it. */
const MODELS: Record<string, ModelCtor> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'apps/v1/Deployment': Deployment,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
  'monitoring.coreos.com/v1/PodMonitor': PodMonitor,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
  'argoproj.io/v1alpha1/Application': Application,
};
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'PersistentVolume',
  'StorageClass',
  'CustomResourceDefinition',
  'PriorityClass',
]);

/** Validates against the Kubernetes (or CRD) OpenAPI schema; throws with the schema's message. */
export function validateK8s(obj: K8sObject, where: string): void {
  const Model = MODELS[`${obj.apiVersion}/${obj.kind}`];
  assert.ok(Model, `${where}: no schema for ${obj.apiVersion} ${obj.kind}; add its kubernetes-models class to test/deploy/lib.ts`);
  try {
    new Model(structuredClone(obj) as never).validate();
  } catch (err) {
    throw new Error(`${where}: ${obj.kind} ${obj.metadata.name} does not match the ${obj.apiVersion} ${obj.kind} schema: ${(err as Error).message}`, {
      cause: err,
    });
  }
  // The schemas leave names free-form; the API server wants DNS-1123 names.
  assert.match(obj.metadata.name, /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, `${where}: ${obj.metadata.name} is not a valid object name`);
  const unknown = unknownFields(obj);
  assert.deepEqual(
    unknown,
    [],
    `${where}: ${obj.kind} ${obj.metadata.name} has fields the API does not know (a typo?): the API server rejects them with strict field validation`,
  );
}

// The schemas accept unknown field names (additionalProperties is not false in the OpenAPI
// documents), while the API server rejects them under strict field validation, kubectl's default.
// The property names of each schema are read from kubernetes-models' generated validators, and the
// objects are walked along the paths where a misspelt key would silently drop a setting.

const fieldCache = new Map<string, Set<string>>();

/** Property names a generated validator checks (`data.name` / `data["name"]`). */
function schemaFields(anchor: string, schema: string): Set<string> {
  const key = `${anchor}|${schema}`;
  const cached = fieldCache.get(key);
  if (cached) return cached;
  // anchor: a module exported by the package; _schemas/ is at the package root.
  let dir = dirname(fileURLToPath(import.meta.resolve(anchor)));
  while (!existsSync(join(dir, '_schemas')) && dir !== dirname(dir)) dir = dirname(dir);
  const code = readFileSync(join(dir, '_schemas', `${schema}.js`), 'utf8');
  const names = new Set([...code.matchAll(/\bdata\.([A-Za-z_$][\w$]*)|\bdata\["([^"]+)"\]/g)].map((m) => (m[1] ?? m[2]) as string));
  names.delete('length');
  assert.ok(names.size >= 2, `could not read the properties of ${schema} from kubernetes-models; its generated code changed`);
  fieldCache.set(key, names);
  return names;
}

const CORE = 'kubernetes-models/v1/Pod';
const META = '@kubernetes-models/apimachinery/apis/meta/v1/ObjectMeta';
const PROM = '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
const ARGO = '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application';
const core = (name: string): [string, string] => [CORE, `IoK8sApi${name}`];
const prom = (name: string): [string, string] => [PROM, `ComGithubPrometheusOperatorPrometheusOperatorPkgApisMonitoringV1${name}`];
const argo = (name: string): [string, string] => [ARGO, `ComGithubArgoprojArgoCdV3PkgApisApplicationV1alpha1${name}`];

/** JSON paths (with [] for "every element") → schema, per kind. */
const FIELD_PATHS: Record<string, [string, [string, string]][]> = {
  Deployment: [
    ['spec', core('AppsV1DeploymentSpec')],
    ['spec.strategy', core('AppsV1DeploymentStrategy')],
    ['spec.template', core('CoreV1PodTemplateSpec')],
    ['spec.template.metadata', [META, 'IoK8sApimachineryPkgApisMetaV1ObjectMeta']],
    ['spec.template.spec', core('CoreV1PodSpec')],
    ['spec.template.spec.securityContext', core('CoreV1PodSecurityContext')],
    ['spec.template.spec.volumes[]', core('CoreV1Volume')],
    ['spec.template.spec.volumes[].emptyDir', core('CoreV1EmptyDirVolumeSource')],
    ['spec.template.spec.containers[]', core('CoreV1Container')],
    ['spec.template.spec.containers[].securityContext', core('CoreV1SecurityContext')],
    ['spec.template.spec.containers[].resources', core('CoreV1ResourceRequirements')],
    ['spec.template.spec.containers[].ports[]', core('CoreV1ContainerPort')],
    ['spec.template.spec.containers[].envFrom[]', core('CoreV1EnvFromSource')],
    ['spec.template.spec.containers[].volumeMounts[]', core('CoreV1VolumeMount')],
    ...['livenessProbe', 'readinessProbe', 'startupProbe'].flatMap((p): [string, [string, string]][] => [
      [`spec.template.spec.containers[].${p}`, core('CoreV1Probe')],
      [`spec.template.spec.containers[].${p}.httpGet`, core('CoreV1HTTPGetAction')],
    ]),
  ],
  Service: [
    ['spec', core('CoreV1ServiceSpec')],
    ['spec.ports[]', core('CoreV1ServicePort')],
  ],
  PersistentVolumeClaim: [['spec', core('CoreV1PersistentVolumeClaimSpec')]],
  ServiceMonitor: [
    ['spec', prom('ServiceMonitorSpec')],
    ['spec.endpoints[]', prom('Endpoint')],
  ],
  PrometheusRule: [
    ['spec.groups[]', prom('RuleGroup')],
    ['spec.groups[].rules[]', prom('Rule')],
  ],
  Application: [
    ['spec', argo('ApplicationSpec')],
    ['spec.source', argo('ApplicationSource')],
    ['spec.syncPolicy', argo('SyncPolicy')],
  ],
};

function at(node: unknown, path: string[]): unknown[] {
  if (path.length === 0) return node === undefined || node === null ? [] : [node];
  const [head, ...rest] = path as [string, ...string[]];
  const many = head.endsWith('[]');
  const child = (node as Record<string, unknown> | undefined)?.[many ? head.slice(0, -2) : head];
  if (many) return Array.isArray(child) ? child.flatMap((c) => at(c, rest)) : [];
  return at(child, rest);
}

export function unknownFields(obj: K8sObject): string[] {
  const out: string[] = [];
  const checks: [string, [string, string]][] = [['metadata', [META, 'IoK8sApimachineryPkgApisMetaV1ObjectMeta']], ...(FIELD_PATHS[obj.kind] ?? [])];
  for (const [path, [anchor, schema]] of checks) {
    const known = schemaFields(anchor, schema);
    for (const node of at(obj, path.split('.'))) {
      if (typeof node !== 'object' || node === null) continue;
      for (const key of Object.keys(node)) if (!known.has(key)) out.push(`${path}.${key}`);
    }
  }
  return out;
}

// ---- A small kustomize --------------------------------------------------------------------------
// kubectl is not installed in CI. This renders the subset the manifests use (resources, components,
// namespace, labels, images, JSON-6902 patches) and rejects every other field, so a kustomization
// that grows a feature this renderer does not know fails here instead of being half-checked.

interface Kustomization {
  apiVersion: string;
  kind: 'Kustomization' | 'Component';
  namespace?: string;
  resources?: string[];
  components?: string[];
  labels?: { pairs: Record<string, string>; includeSelectors?: boolean; includeTemplates?: boolean }[];
  images?: { name: string; newName?: string; newTag?: string; digest?: string }[];
  patches?: { path?: string; patch?: string; target: { group?: string; version?: string; kind?: string; name?: string } }[];
}
const KUSTOMIZATION_KEYS = new Set(['apiVersion', 'kind', 'namespace', 'resources', 'components', 'labels', 'images', 'patches']);

export interface Rendered {
  objects: K8sObject[];
  /** Every file the build read, relative to the repository root. */
  files: Set<string>;
}

export function kustomize(dir: string, extraComponents: string[] = []): Rendered {
  const files = new Set<string>();
  const objects = build(resolve(ROOT, dir), extraComponents, files, 'Kustomization');
  return { objects, files };
}

function loadKustomization(dir: string, files: Set<string>, expectKind: 'Kustomization' | 'Component'): Kustomization {
  const path = join(dir, 'kustomization.yaml');
  assert.ok(existsSync(path), `${relative(ROOT, dir)}: no kustomization.yaml`);
  files.add(relative(ROOT, path));
  const k = yamlDoc<Kustomization>(relative(ROOT, path));
  const expectedApi = expectKind === 'Kustomization' ? 'kustomize.config.k8s.io/v1beta1' : 'kustomize.config.k8s.io/v1alpha1';
  assert.equal(k.kind, expectKind, `${relative(ROOT, path)}: kind`);
  assert.equal(k.apiVersion, expectedApi, `${relative(ROOT, path)}: apiVersion`);
  for (const key of Object.keys(k))
    assert.ok(KUSTOMIZATION_KEYS.has(key), `${relative(ROOT, path)}: "${key}" is not supported by the test renderer (test/deploy/lib.ts)`);
  return k;
}

function build(dir: string, extraComponents: string[], files: Set<string>, kind: 'Kustomization' | 'Component'): K8sObject[] {
  const k = loadKustomization(dir, files, kind);
  const objects = loadResources(dir, k.resources ?? [], files);
  for (const c of [...(k.components ?? []), ...extraComponents]) {
    const cdir = resolve(dir, c);
    assert.ok(existsSync(cdir) && statSync(cdir).isDirectory(), `${relative(ROOT, dir)}: component ${c} is not a directory`);
    const comp = loadKustomization(cdir, files, 'Component');
    assert.equal(comp.namespace, undefined, `${c}: components must not set a namespace`);
    objects.push(...loadResources(cdir, comp.resources ?? [], files));
    applyPatches(cdir, comp.patches ?? [], objects, files);
  }
  applyPatches(dir, k.patches ?? [], objects, files);
  if (k.namespace !== undefined) {
    for (const o of objects) if (!CLUSTER_SCOPED.has(o.kind)) o.metadata.namespace = k.namespace;
  }
  for (const l of k.labels ?? []) {
    assert.notEqual(l.includeSelectors, true, 'labels with includeSelectors: selectors are immutable, keep them out of kustomize');
    for (const o of objects) {
      o.metadata.labels = { ...o.metadata.labels, ...l.pairs };
      const template = (o.spec as { template?: { metadata?: { labels?: Record<string, string> } } } | undefined)?.template;
      if (l.includeTemplates === true && template) template.metadata = { ...template.metadata, labels: { ...template.metadata?.labels, ...l.pairs } };
    }
  }
  for (const image of k.images ?? []) {
    for (const c of podContainers(objects)) {
      const { name, tag } = splitImage(c.image);
      if (name !== image.name) continue;
      c.image = `${image.newName ?? name}${image.digest ? `@${image.digest}` : `:${image.newTag ?? tag ?? 'latest'}`}`;
    }
  }
  return objects;
}

function loadResources(dir: string, resources: string[], files: Set<string>): K8sObject[] {
  const out: K8sObject[] = [];
  for (const r of resources) {
    const path = resolve(dir, r);
    assert.ok(existsSync(path), `${relative(ROOT, dir)}/kustomization.yaml: resource ${r} does not exist`);
    if (statSync(path).isDirectory()) {
      out.push(...build(path, [], files, 'Kustomization'));
      continue;
    }
    files.add(relative(ROOT, path));
    for (const [i, doc] of yamlDocs(relative(ROOT, path)).entries()) {
      assert.ok(isK8sObject(doc), `${relative(ROOT, path)} document ${i + 1}: not a Kubernetes object (apiVersion, kind, metadata.name)`);
      out.push(structuredClone(doc));
    }
  }
  const seen = new Set<string>();
  for (const o of out) {
    const id = `${o.apiVersion}/${o.kind}/${o.metadata.name}`;
    assert.ok(!seen.has(id), `duplicate resource ${id}`);
    seen.add(id);
  }
  return out;
}

interface JsonPatchOp {
  op: 'add' | 'remove' | 'replace' | 'test';
  path: string;
  value?: unknown;
}

function applyPatches(dir: string, patches: NonNullable<Kustomization['patches']>, objects: K8sObject[], files: Set<string>): void {
  for (const p of patches) {
    let ops: unknown;
    if (p.path !== undefined) {
      files.add(relative(ROOT, resolve(dir, p.path)));
      ops = yamlDoc(relative(ROOT, resolve(dir, p.path)));
    } else {
      ops = parseAllDocuments(p.patch ?? '')[0]?.toJS();
    }
    assert.ok(Array.isArray(ops), `${relative(ROOT, dir)}: only JSON-6902 patches (a list of operations) are supported by the test renderer`);
    const targets = objects.filter((o) => {
      const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion];
      const t = p.target;
      return (
        (t.kind === undefined || t.kind === o.kind) &&
        (t.name === undefined || t.name === o.metadata.name) &&
        (t.group === undefined || t.group === group) &&
        (t.version === undefined || t.version === version)
      );
    });
    assert.equal(targets.length, 1, `${relative(ROOT, dir)}: patch target ${JSON.stringify(p.target)} matches ${targets.length} objects`);
    for (const op of ops as JsonPatchOp[]) applyOp(targets[0] as K8sObject, op, relative(ROOT, dir));
  }
}

function applyOp(obj: K8sObject, op: JsonPatchOp, where: string): void {
  const parts = op.path
    .split('/')
    .slice(1)
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
  const last = parts.pop();
  assert.ok(last !== undefined, `${where}: empty patch path`);
  let node: unknown = obj;
  for (const part of parts) {
    node = (node as Record<string, unknown> | undefined)?.[part];
    assert.ok(node !== undefined && node !== null, `${where}: patch path ${op.path} does not exist`);
  }
  const parent = node as Record<string, unknown>;
  switch (op.op) {
    case 'test':
      assert.deepEqual(parent[last], op.value, `${where}: patch test failed at ${op.path}`);
      break;
    case 'remove':
      assert.ok(last in parent, `${where}: cannot remove missing ${op.path}`);
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete parent[last];
      break;
    case 'add':
      if (Array.isArray(parent)) parent.splice(last === '-' ? parent.length : Number(last), 0, op.value);
      else parent[last] = op.value;
      break;
    case 'replace':
      assert.ok(last in parent, `${where}: cannot replace missing ${op.path}`);
      parent[last] = op.value;
      break;
    default:
      assert.fail(`${where}: patch op ${(op as { op: string }).op} is not supported by the test renderer`);
  }
}

export interface Container {
  name: string;
  image: string;
  [key: string]: unknown;
}

export function podContainers(objects: K8sObject[]): Container[] {
  const out: Container[] = [];
  for (const o of objects) {
    const spec = (o.spec as { template?: { spec?: { containers?: Container[]; initContainers?: Container[] } } } | undefined)?.template?.spec;
    if (spec) out.push(...(spec.containers ?? []), ...(spec.initContainers ?? []));
  }
  return out;
}

export function splitImage(image: string): { name: string; tag: string | undefined; digest: string | undefined } {
  const [ref, digest] = image.split('@') as [string, string | undefined];
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  return colon > slash ? { name: ref.slice(0, colon), tag: ref.slice(colon + 1), digest } : { name: ref, tag: undefined, digest };
}

export function findObject(objects: K8sObject[], kind: string, name?: string): K8sObject {
  const hits = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  assert.equal(hits.length, 1, `expected one ${kind}${name ? ` ${name}` : ''}, found ${hits.length}`);
  return hits[0] as K8sObject;
}

/** Every file under manifests/, relative to the repository root. */
export function manifestFiles(): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(relative(ROOT, p));
    }
  };
  walk(MANIFESTS);
  return out.sort();
}

// ---- Units -------------------------------------------------------------------------------------

/** Kubernetes resource quantity in bytes / cores: 20Gi, 512Mi, 300m, "2". */
export function quantity(q: string | number): number {
  if (typeof q === 'number') return q;
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T|m)?$/.exec(q);
  assert.ok(m, `not a Kubernetes quantity: ${q}`);
  const f: Record<string, number> = { '': 1, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9, T: 1e12, m: 1e-3 };
  return Number(m[1]) * (f[m[2] ?? ''] as number);
}

// ---- PromQL --------------------------------------------------------------------------------------

export interface Selector {
  metric: string | null;
  matchers: { name: string; op: string; value: string }[];
}
export interface PromqlInfo {
  errors: string[];
  selectors: Selector[];
  /** Range durations of matrix selectors and subqueries ([30m], [1h:1m] gives 1h). */
  ranges: string[];
  numbers: number[];
}

/** Grafana's interval variables, replaced by a duration so the query parses as PromQL. */
export function expandGrafanaVariables(expr: string): string {
  return expr.replace(/\$(?:__rate_interval|__interval|__range)\b|\$\{(?:__rate_interval|__interval|__range)\}/g, '5m');
}

export function analyzePromql(expr: string): PromqlInfo {
  const tree = promqlParser.parse(expr);
  const info: PromqlInfo = { errors: [], selectors: [], ranges: [], numbers: [] };
  const text = (from: number, to: number): string => expr.slice(from, to);
  tree.iterate({
    enter(ref) {
      if (ref.type.isError) {
        info.errors.push(`syntax error at ${ref.from}: …${expr.slice(Math.max(0, ref.from - 20), ref.from)}⟨here⟩${expr.slice(ref.from, ref.from + 20)}…`);
        return;
      }
      const node = ref.node;
      switch (ref.name) {
        case 'VectorSelector': {
          const id = node.getChild('Identifier');
          const matchers: Selector['matchers'] = [];
          const lm = node.getChild('LabelMatchers');
          if (lm) {
            if (lm.getChild('QuotedLabelMatcher'))
              info.errors.push(`quoted label matcher in ${text(node.from, node.to)}: write metric{label="value"} so the metric name can be checked`);
            for (const m of lm.getChildren('UnquotedLabelMatcher')) {
              const name = m.getChild('LabelName');
              const op = m.getChild('MatchOp');
              const value = m.getChild('StringLiteral');
              if (name && op && value)
                matchers.push({
                  name: text(name.from, name.to),
                  op: text(op.from, op.to),
                  value: JSON.parse(text(value.from, value.to).replace(/^'|'$/g, '"')) as string,
                });
            }
          }
          info.selectors.push({ metric: id ? text(id.from, id.to) : null, matchers });
          break;
        }
        case 'MatrixSelector':
        case 'SubqueryExpr': {
          const d = node.getChild('DurationExpr');
          if (d) info.ranges.push(text(d.from, d.to));
          break;
        }
        case 'NumberDurationLiteral':
          info.numbers.push(Number(text(ref.from, ref.to)));
          break;
      }
    },
  });
  for (const s of info.selectors) if (s.metric === null) info.errors.push('a selector without a metric name; name the metric so it can be checked');
  return info;
}

// ---- What a running camera-recorder exports ---------------------------------------------------------

export interface Exported {
  /** Family name → type, from "# TYPE" lines (present even before a series has a sample). */
  families: Map<string, string>;
  /** Sample name (x, x_total, h_bucket, h_sum, h_count) → label names seen or declared. */
  samples: Map<string, Set<string>>;
}

/**
 * Parses the text exposition format. Families without a sample yet (counters of failures, drops,
 * ...) appear only in "# TYPE"; their label names come from `declaredLabels`.
 */
export function parseExposition(body: string, declaredLabels: (family: string) => string[]): Exported {
  const families = new Map<string, string>();
  const samples = new Map<string, Set<string>>();
  for (const line of body.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) families.set(type[1] as string, type[2] as string);
  }
  const familyOf = new Map<string, string>();
  for (const [name, type] of families) {
    const names =
      type === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : type === 'summary' ? [name, `${name}_sum`, `${name}_count`] : [name];
    for (const n of names) {
      familyOf.set(n, name);
      samples.set(n, new Set([...declaredLabels(name), ...(n.endsWith('_bucket') ? ['le'] : []), ...(type === 'summary' && n === name ? ['quantile'] : [])]));
    }
  }
  for (const line of body.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})? \S+/.exec(line);
    if (!m) continue;
    const set = samples.get(m[1] as string);
    assert.ok(set, `/metrics: sample ${m[1]} without a # TYPE line`);
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g)) set.add(l[1] as string);
  }
  return { families, samples };
}

/** Labels Prometheus adds to every scraped series (Prometheus Operator ServiceMonitor/PodMonitor). */
export const TARGET_LABELS = new Set(['job', 'instance', 'namespace', 'pod', 'service', 'endpoint', 'container']);
/** Series Prometheus makes itself for every target; not exported by the service but fine to use. */
export const PROMETHEUS_SERIES = new Map([['up', new Set<string>()]]);

/** Problems of one PromQL expression against what the service exports. Empty when fine. */
export function checkAgainstExports(expr: string, exported: Exported): string[] {
  const info = analyzePromql(expr);
  const problems = [...info.errors];
  for (const s of info.selectors) {
    if (s.metric === null) continue;
    const labels = exported.samples.get(s.metric) ?? PROMETHEUS_SERIES.get(s.metric);
    if (!labels) {
      problems.push(`metric ${s.metric} is not exported by camera-recorder`);
      continue;
    }
    for (const m of s.matchers) {
      if (!labels.has(m.name) && !TARGET_LABELS.has(m.name))
        problems.push(`${s.metric} has no label "${m.name}" (it has: ${[...labels].join(', ') || 'none'})`);
    }
  }
  return problems;
}

// ---- External tools ------------------------------------------------------------------------------

/**
 * Whether a tool CI installs (.ci/run) is present. Outside CI a missing one skips its test with a
 * message; in CI (CI=true) it fails, so the check can never silently stop running.
 */
export function requireTool(name: string, versionArgs: string[], installHint: string): void {
  const r = spawnSync(name, versionArgs, { encoding: 'utf8' });
  // No skipping: a check that silently does not run proves nothing. .ci/run installs the tool.
  if (r.error) assert.fail(`${name} is not installed (${installHint}); .ci/run installs it`);
}
