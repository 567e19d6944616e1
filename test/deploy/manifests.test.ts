// The Kubernetes manifests: every file parses and validates against the Kubernetes API schemas, the
// kustomization renders (with and without the PVC component), and the pieces agree with each other
// and with the service: ConfigMap and Secret keys are environment variables camera-recorder reads,
// probes hit its routes, the grace period covers its shutdown, the spool volume holds its backlog.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CAMERA_ENV, KEYS } from '../../src/config/schema.ts';
import { parseDuration, parseSize } from '../../src/config/units.ts';
import { runCli } from '../support/recorder-process.ts';
import {
  findObject,
  isK8sObject,
  kustomize,
  manifestFiles,
  podContainers,
  quantity,
  read,
  ROOT,
  splitImage,
  validateK8s,
  yamlDoc,
  yamlDocs,
  type K8sObject,
} from './lib.ts';

interface Probe {
  httpGet?: { path: string; port: string | number };
  periodSeconds?: number;
  failureThreshold?: number;
  timeoutSeconds?: number;
}
interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  runAsGroup?: number;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
  capabilities?: { drop?: string[]; add?: string[] };
  seccompProfile?: { type: string };
}
interface ContainerSpec {
  name: string;
  image: string;
  ports?: { name?: string; containerPort: number }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  env?: { name: string }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: SecurityContext;
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodSpec {
  containers: ContainerSpec[];
  securityContext?: SecurityContext & { fsGroup?: number };
  terminationGracePeriodSeconds?: number;
  volumes?: { name: string; emptyDir?: { sizeLimit?: string }; persistentVolumeClaim?: { claimName: string } }[];
  automountServiceAccountToken?: boolean;
}
interface DeploymentSpec {
  replicas?: number;
  strategy?: { type?: string };
  selector: { matchLabels: Record<string, string> };
  template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
}

const envKeys = new Map(KEYS.filter((k) => k.env !== undefined).map((k) => [k.env as string, k]));
const secretEnv = KEYS.filter((k) => k.secret === true && k.env !== undefined).map((k) => k.env as string);

const base = kustomize('manifests');
const objects = base.objects;
const configMap = findObject(objects, 'ConfigMap', 'camera-recorder-config') as K8sObject & { data: Record<string, string> };
const deployment = findObject(objects, 'Deployment') as K8sObject & { spec: DeploymentSpec };
const pod = deployment.spec.template.spec;
const container = pod.containers.find((c) => c.name === 'camera-recorder') as ContainerSpec;
const secretExample = yamlDoc<K8sObject & { type?: string; stringData: Record<string, string> }>('manifests/secret.yaml.example');
const application = yamlDoc<
  K8sObject & {
    spec: {
      source: { repoURL: string; path: string; targetRevision: string; kustomize?: { components?: string[] } };
      destination: { namespace: string; server?: string };
      syncPolicy?: { automated?: unknown };
    };
  }
>('manifests/argocd-application.yaml');
const namespace = findObject(objects, 'Namespace');

/** A setting as the service will see it: the ConfigMap's value, else the default from the schema. */
function setting(env: string): string {
  const v = configMap.data[env];
  if (v !== undefined) return v;
  const spec = envKeys.get(env);
  assert.ok(spec, `${env} is not a configuration key`);
  return String(spec.default);
}
const ms = (env: string): number => {
  const v = parseDuration(setting(env));
  assert.ok(v !== undefined, `${env}=${setting(env)} is not a duration`);
  return v;
};
const bytes = (env: string): number => {
  const v = parseSize(setting(env));
  assert.ok(v !== undefined, `${env}=${setting(env)} is not a size`);
  return v;
};

describe('manifests', () => {
  test('every YAML file parses and every Kubernetes object validates against its API schema', () => {
    const files = manifestFiles();
    assert.ok(files.length >= 9, files.join(', '));
    for (const file of files) {
      assert.match(file, /\.(yaml|yaml\.example)$/, `${file}: unexpected file in manifests/`);
      const docs = yamlDocs(file);
      assert.ok(docs.length > 0, `${file} is empty`);
      if (file.endsWith('kustomization.yaml') || file.endsWith('-patch.yaml')) continue; // checked by the kustomize tests
      for (const [i, doc] of docs.entries()) {
        assert.ok(isK8sObject(doc), `${file} document ${i + 1} is not a Kubernetes object`);
        validateK8s(doc, file);
      }
    }
  });

  test('the kustomization renders, every rendered object validates, and no manifest is left out', () => {
    assert.deepEqual(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort(), [
      'ConfigMap/camera-recorder-config',
      'ConfigMap/camera-recorder-dashboard',
      'Deployment/camera-recorder',
      'Namespace/camera-system',
      'PrometheusRule/camera-recorder',
      'Service/camera-recorder',
      'ServiceMonitor/camera-recorder',
    ]);
    for (const o of objects) validateK8s(o, 'kustomize build manifests');
    for (const o of objects) {
      if (o.kind !== 'Namespace') assert.equal(o.metadata.namespace, namespace.metadata.name, `${o.kind} ${o.metadata.name}: namespace`);
      assert.equal(o.metadata.labels?.['app.kubernetes.io/part-of'], 'camera-recorder', `${o.kind} ${o.metadata.name}: labels`);
    }
    assert.equal(namespace.metadata.name, 'camera-system');
    // Every file is either built by a kustomization or deliberately outside it.
    const withPvc = kustomize('manifests', ['pvc']);
    const outside = new Set(['manifests/argocd-application.yaml', 'manifests/secret.yaml.example']);
    for (const file of manifestFiles()) {
      assert.ok(
        base.files.has(file) || withPvc.files.has(file) || outside.has(file),
        `${file} is not part of manifests/kustomization.yaml (or its pvc component)`,
      );
    }
    for (const file of outside) assert.ok(!base.files.has(file) && !withPvc.files.has(file), `${file} must not be applied by kustomize`);
  });

  test('the PVC component puts TEMP_DIR on a PersistentVolumeClaim larger than the backlog cap', () => {
    const rendered = kustomize('manifests', ['pvc']).objects;
    for (const o of rendered) validateK8s(o, 'kustomize build manifests + pvc');
    const pvc = findObject(rendered, 'PersistentVolumeClaim') as K8sObject & { spec: { accessModes: string[]; resources: { requests: { storage: string } } } };
    assert.equal(pvc.metadata.namespace, 'camera-system');
    assert.deepEqual(pvc.spec.accessModes, ['ReadWriteOnce']);
    assert.ok(quantity(pvc.spec.resources.requests.storage) * 0.8 >= bytes('BACKLOG_MAX_BYTES'), 'BACKLOG_MAX_BYTES must stay below 80% of the PVC');
    const d = findObject(rendered, 'Deployment') as K8sObject & { spec: DeploymentSpec };
    const spool = d.spec.template.spec.volumes?.find((v) => v.name === 'spool');
    assert.deepEqual(spool, { name: 'spool', persistentVolumeClaim: { claimName: pvc.metadata.name } });
    assert.equal(d.spec.strategy?.type, 'Recreate', 'a ReadWriteOnce volume must be released by the old pod first');
    assert.equal(
      d.spec.template.spec.containers[0]?.resources?.requests?.['ephemeral-storage'],
      undefined,
      'no node disk reserved for a spool that is not on it',
    );
    assert.equal(pvc.metadata.annotations?.['argocd.argoproj.io/sync-options'], 'Delete=false');
  });

  test('the disk budget (TEMP_DIR_MAX_BYTES) is set below the spool volume, emptyDir or PVC, and above the backlog cap and the floor', () => {
    // statfs of an emptyDir reports the node's disk: only the budget keeps the pod under its sizeLimit.
    const budget = bytes('TEMP_DIR_MAX_BYTES');
    const spool = pod.volumes?.find((v) => v.name === 'spool');
    const limit = quantity(spool?.emptyDir?.sizeLimit ?? '0');
    assert.ok(budget > 0 && budget <= 0.95 * limit, `TEMP_DIR_MAX_BYTES (${budget}) must be set, below 95% of the emptyDir sizeLimit (${limit})`);
    const pvc = findObject(kustomize('manifests', ['pvc']).objects, 'PersistentVolumeClaim') as K8sObject & {
      spec: { resources: { requests: { storage: string } } };
    };
    assert.ok(budget <= 0.95 * quantity(pvc.spec.resources.requests.storage), 'TEMP_DIR_MAX_BYTES must stay below 95% of the PVC');
    assert.ok(budget > bytes('BACKLOG_MAX_BYTES'), 'the budget holds the backlog cap plus the segments being recorded, exports and quarantine');
    assert.ok(budget > bytes('BACKLOG_MIN_FREE_BYTES'), 'a floor the budget cannot hold is lowered with a warning');
  });

  test('the Deployment runs exactly one pod and replaces it with Recreate', () => {
    assert.equal(deployment.spec.replicas, 1);
    assert.equal(deployment.spec.strategy?.type, 'Recreate');
    for (const [k, v] of Object.entries(deployment.spec.selector.matchLabels)) assert.equal(deployment.spec.template.metadata.labels[k], v, `selector ${k}`);
    assert.equal(pod.containers.length, 1);
  });

  test('probes: liveness and startup on /health, readiness on /ready, all on the metrics port', () => {
    const port = container.ports?.find((p) => p.name === 'http');
    assert.ok(port, 'a container port named http');
    assert.equal(String(port.containerPort), setting('METRICS_PORT'), 'containerPort = METRICS_PORT');
    assert.equal(container.livenessProbe?.httpGet?.path, '/health');
    assert.equal(container.startupProbe?.httpGet?.path, '/health');
    assert.equal(container.readinessProbe?.httpGet?.path, '/ready');
    for (const p of [container.livenessProbe, container.startupProbe, container.readinessProbe]) assert.equal(p?.httpGet?.port, 'http');
    // A liveness restart cuts segments: at least a minute of silence before it.
    const l = container.livenessProbe as Probe;
    assert.ok((l.periodSeconds ?? 10) * (l.failureThreshold ?? 3) >= 60, 'liveness tolerates at least 60 s');
  });

  test('security: non-root UID 1000, read-only root filesystem, no capabilities, RuntimeDefault seccomp', () => {
    assert.equal(pod.securityContext?.runAsNonRoot, true);
    assert.equal(pod.securityContext?.runAsUser, 1000);
    assert.equal(pod.securityContext?.fsGroup, 1000, 'fsGroup makes the spool volume writable');
    assert.equal(pod.securityContext?.seccompProfile?.type, 'RuntimeDefault');
    const sc = container.securityContext as SecurityContext;
    assert.equal(sc.runAsNonRoot, true);
    assert.equal(sc.runAsUser, 1000);
    assert.equal(sc.readOnlyRootFilesystem, true);
    assert.equal(sc.allowPrivilegeEscalation, false);
    assert.deepEqual(sc.capabilities, { drop: ['ALL'] });
    assert.equal(sc.seccompProfile?.type, 'RuntimeDefault');
    assert.equal(pod.automountServiceAccountToken, false);
    assert.equal(namespace.metadata.labels?.['pod-security.kubernetes.io/enforce'], 'restricted');
  });

  test('terminationGracePeriodSeconds covers ffmpeg finalizing plus the upload drain', () => {
    const needed = (ms('FFMPEG_STOP_TIMEOUT') + ms('SHUTDOWN_GRACE')) / 1000;
    const grace = pod.terminationGracePeriodSeconds ?? 30;
    assert.ok(grace >= needed + 5, `terminationGracePeriodSeconds ${grace} < FFMPEG_STOP_TIMEOUT + SHUTDOWN_GRACE (${needed} s) + 5 s margin`);
  });

  test('TEMP_DIR is an emptyDir with a sizeLimit, and the backlog cap stays well below it', () => {
    const tempDir = setting('TEMP_DIR');
    const mount = container.volumeMounts?.find((m) => m.mountPath === tempDir);
    assert.ok(mount, `TEMP_DIR ${tempDir} is not mounted`);
    const volume = pod.volumes?.find((v) => v.name === mount.name);
    assert.ok(volume?.emptyDir?.sizeLimit, 'the spool emptyDir needs a sizeLimit');
    const limit = quantity(volume.emptyDir.sizeLimit);
    const cap = bytes('BACKLOG_MAX_BYTES');
    assert.ok(cap > 0, 'BACKLOG_MAX_BYTES must be set (0 = no cap) when the spool has a sizeLimit');
    assert.ok(
      cap <= 0.8 * limit,
      `BACKLOG_MAX_BYTES (${cap}) must stay below 80% of the emptyDir sizeLimit (${limit}): past it the pod is evicted and the emptyDir lost`,
    );
    assert.ok(quantity(container.resources?.requests?.['ephemeral-storage'] ?? '0') >= limit, 'ephemeral-storage request reserves the emptyDir');
    // Nothing else is writable: every other mount is a small scratch emptyDir.
    for (const m of container.volumeMounts ?? []) {
      const v = pod.volumes?.find((x) => x.name === m.name);
      assert.ok(v?.emptyDir || v?.persistentVolumeClaim, `${m.name}: unexpected volume type`);
    }
  });

  test('resources: requests and limits for cpu and memory', () => {
    const r = container.resources;
    for (const k of ['cpu', 'memory']) {
      assert.ok(r?.requests?.[k], `requests.${k}`);
      assert.ok(r?.limits?.[k], `limits.${k}`);
      assert.ok(quantity(r.limits[k] as string) >= quantity(r.requests[k] as string), `${k}: limit below request`);
    }
    assert.ok(quantity(r?.requests?.memory ?? '0') >= 256 * 2 ** 20, 'memory request below what node + upload buffers need');
  });

  test('the image is the one build.sh builds, tagged with the package version', () => {
    const pkg = JSON.parse(read('package.json')) as { version: string };
    const buildSh = read('build.sh');
    const imageName = /IMAGE_NAME=\$\{IMAGE_NAME:-([^}]+)\}/.exec(buildSh)?.[1];
    assert.equal(imageName, 'recorder-service');
    const raw = yamlDocs('manifests/deployment.yaml')
      .filter(isK8sObject)
      .find((o) => o.kind === 'Deployment') as K8sObject & { spec: DeploymentSpec };
    const rawImage = splitImage(raw.spec.template.spec.containers[0]?.image ?? '');
    assert.equal(rawImage.name, imageName);
    assert.equal(rawImage.tag, pkg.version, 'deployment.yaml image tag = package.json version');
    const rendered = splitImage(container.image);
    assert.equal(rendered.tag, pkg.version, 'kustomization.yaml images.newTag = package.json version');
    assert.ok(rendered.name.endsWith(`/${imageName}`), `kustomize points ${imageName} at a registry: ${rendered.name}`);
    for (const c of podContainers(objects)) assert.notEqual(splitImage(c.image).tag, 'latest');
  });

  test('the ConfigMap holds only non-secret environment variables the service reads, with valid values', async () => {
    for (const key of Object.keys(configMap.data)) {
      assert.ok(!CAMERA_ENV.test(key), `${key}: camera URLs carry passwords; they belong in the Secret`);
      const spec = envKeys.get(key);
      assert.ok(spec, `${key} is not an environment variable camera-recorder reads (src/config/schema.ts)`);
      assert.notEqual(spec.secret, true, `${key} is secret; it belongs in the Secret`);
    }
    for (const key of ['TEMP_DIR', 'SEGMENT_DURATION', 'BACKLOG_MAX_BYTES', 'SHUTDOWN_GRACE', 'FFMPEG_STOP_TIMEOUT', 'METRICS_PORT']) {
      assert.ok(key in configMap.data, `${key}: the manifests depend on it, so set it explicitly`);
    }
    // The real loader accepts ConfigMap + Secret example together.
    const r = await runCli(['--check-config'], { ...configMap.data, ...secretExample.stringData });
    assert.equal(r.code, 0, r.stderr);
  });

  test('the Secret example holds exactly the secret keys the service reads, plus the camera URLs, as placeholders', () => {
    assert.equal(secretExample.kind, 'Secret');
    assert.equal(secretExample.type, 'Opaque');
    assert.equal(secretExample.metadata.namespace, namespace.metadata.name);
    const keys = Object.keys(secretExample.stringData);
    const cameras = keys.filter((k) => CAMERA_ENV.test(k));
    assert.ok(cameras.length >= 1, 'at least one CAMERA<N>_RTSP_URL');
    assert.deepEqual(keys.filter((k) => !CAMERA_ENV.test(k)).sort(), [...secretEnv].sort(), 'secret keys = every KEYS entry with secret: true');
    for (const [k, v] of Object.entries(secretExample.stringData)) {
      assert.ok(v === '' || v.includes('CHANGE-ME'), `${k}: the example must hold a CHANGE-ME placeholder, never a real value`);
    }
    const refs = container.envFrom ?? [];
    assert.deepEqual(
      refs.map((r) => r.configMapRef?.name ?? r.secretRef?.name),
      [configMap.metadata.name, secretExample.metadata.name],
    );
    for (const e of container.env ?? []) assert.ok(envKeys.has(e.name) || CAMERA_ENV.test(e.name), `env ${e.name} is not read by the service`);
  });

  test('Service and ServiceMonitor: metrics are scraped from not-ready pods too', () => {
    const svc = findObject(objects, 'Service') as K8sObject & {
      spec: { publishNotReadyAddresses?: boolean; selector: Record<string, string>; ports: { name: string; port: number; targetPort: string | number }[] };
    };
    assert.equal(svc.spec.publishNotReadyAddresses, true);
    for (const [k, v] of Object.entries(svc.spec.selector)) assert.equal(deployment.spec.template.metadata.labels[k], v, `Service selector ${k}`);
    const port = svc.spec.ports.find((p) => p.name === 'http');
    assert.ok(port && port.targetPort === 'http');
    const sm = findObject(objects, 'ServiceMonitor') as K8sObject & {
      spec: { selector: { matchLabels: Record<string, string> }; endpoints: { port: string; path?: string }[]; jobLabel?: string };
    };
    for (const [k, v] of Object.entries(sm.spec.selector.matchLabels)) assert.equal(svc.metadata.labels?.[k], v, `ServiceMonitor selects the Service by ${k}`);
    assert.deepEqual(
      sm.spec.endpoints.map((e) => [e.port, e.path]),
      [['http', '/metrics']],
    );
    assert.equal(sm.spec.jobLabel, undefined, 'job label = Service name, which the alerts use');
  });

  test('the Argo CD Application deploys this directory into the namespace of namespace.yaml', () => {
    validateK8s(application, 'manifests/argocd-application.yaml');
    assert.equal(application.metadata.namespace, 'argocd');
    assert.equal(application.spec.source.path, 'manifests');
    assert.ok(existsSync(join(ROOT, application.spec.source.path, 'kustomization.yaml')));
    assert.equal(application.spec.destination.namespace, namespace.metadata.name);
    for (const c of application.spec.source.kustomize?.components ?? [])
      assert.ok(existsSync(join(ROOT, 'manifests', c, 'kustomization.yaml')), `component ${c}`);
    assert.ok(application.spec.syncPolicy?.automated, 'automated sync');
    assert.match(application.spec.source.repoURL, /^https:\/\//);
  });
});
