// The container image recipe and build.sh: the Dockerfile is well-formed, pinned, non-root and starts
// exactly what the tests start (dist/main.js); .dockerignore keeps the context to what it copies;
// build.sh passes shellcheck and picks, tags and pushes as documented (against stub container tools,
// since CI has no container engine).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join, posix, relative } from 'node:path';
import { after, describe, test } from 'node:test';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { validate as validateDockerfile } from 'dockerfile-utils';
import { KEYS } from '../../src/config/schema.ts';
import { CLI } from '../support/recorder-process.ts';
import { read, requireTool, ROOT, yamlDoc } from './lib.ts';

const dockerfileText = read('Dockerfile');
const dockerfile = DockerfileParser.parse(dockerfileText);
const pkg = JSON.parse(read('package.json')) as {
  version: string;
  bin: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

interface Stage {
  name: string | null;
  image: string;
  instructions: Instruction[];
}
function stages(): Stage[] {
  const out: Stage[] = [];
  for (const i of dockerfile.getInstructions()) {
    if (i.getKeyword() === 'FROM') {
      const from = dockerfile.getFROMs().find((f) => f.getRange().start.line === i.getRange().start.line);
      assert.ok(from);
      out.push({ name: from.getBuildStage(), image: from.getImage() ?? '', instructions: [] });
    } else {
      assert.ok(out.length > 0, `${i.getKeyword()} before the first FROM`);
      (out[out.length - 1] as Stage).instructions.push(i);
    }
  }
  return out;
}
const all = stages();
const final = all[all.length - 1] as Stage;
const args = (i: Instruction): string => i.getArgumentsContent() ?? '';
const inFinal = (keyword: string): Instruction[] => final.instructions.filter((i) => i.getKeyword() === keyword);
const jsonArgs = (i: Instruction): string[] => JSON.parse(args(i)) as string[];
const flag = (i: Instruction, name: string): string | undefined =>
  (i as Instruction & { getFlags?: () => { getName(): string; getValue(): string | null }[] })
    .getFlags?.()
    .find((f) => f.getName() === name)
    ?.getValue() ?? undefined;
/** COPY sources and destination, without flags. */
const copyParts = (i: Instruction): { sources: string[]; dest: string } => {
  const parts = i
    .getArguments()
    .map((a) => a.getValue())
    .filter((v) => !v.startsWith('--'));
  return { sources: parts.slice(0, -1), dest: parts[parts.length - 1] ?? '' };
};
function workdir(stage: Stage, before: Instruction): string {
  let wd = '/';
  for (const i of stage.instructions) {
    if (i === before) break;
    if (i.getKeyword() === 'WORKDIR') wd = posix.resolve(wd, args(i));
  }
  return wd;
}

describe('Dockerfile', () => {
  test('is well-formed (no diagnostics from dockerfile-utils)', () => {
    const problems = validateDockerfile(dockerfileText);
    assert.deepEqual(
      problems.map((p) => `line ${p.range.start.line + 1}: ${p.message}`),
      [],
    );
  });

  test('multi-stage, with every base image pinned to an exact Node.js 24 version tag', () => {
    assert.ok(all.length >= 2, 'a build stage and a runtime stage');
    const names = new Set(all.map((s) => s.name).filter((n) => n !== null));
    for (const s of all) {
      if (names.has(s.image)) continue;
      const m = /^([a-z0-9./-]+):([\w.-]+)(@sha256:[0-9a-f]{64})?$/.exec(s.image);
      assert.ok(m, `FROM ${s.image}: pin a tag (and a digest where you can)`);
      assert.notEqual(m[2], 'latest');
      assert.equal(m[1], 'node', `FROM ${s.image}: the official Node.js image`);
      assert.match(m[2] as string, /^\d+\.\d+\.\d+-/, `FROM ${s.image}: an exact version, not a floating major`);
      assert.ok(
        (m[2] as string).startsWith(`${pkg.devDependencies.node}-`),
        `FROM ${s.image}: the Node.js the project pins (devDependency node ${pkg.devDependencies.node})`,
      );
    }
  });

  test("builds with dev dependencies and ships only production dependencies, run by the image's own node", () => {
    const runs = all.flatMap((s) => s.instructions.filter((i) => i.getKeyword() === 'RUN').map((i) => ({ stage: s.name, text: args(i) })));
    const build = runs.find((r) => /\bnpm ci\b(?!.*--omit=dev)/.test(r.text) && r.stage !== null);
    assert.ok(build, 'a stage runs npm ci (with dev dependencies)');
    assert.ok(
      runs.some((r) => r.stage === build.stage && /\bnpm run build\b/.test(r.text)),
      'and npm run build',
    );
    const prod = runs.find((r) => /\bnpm ci\b.*--omit=dev/.test(r.text));
    assert.ok(prod, 'a stage runs npm ci --omit=dev');
    const copies = inFinal('COPY').map((i) => ({ from: flag(i, 'from'), ...copyParts(i) }));
    const modules = copies.find((c) => c.sources.some((s) => s.endsWith('node_modules')));
    assert.equal(modules?.from, prod.stage, 'node_modules in the image come from the --omit=dev install');
    const dist = copies.find((c) => c.sources.some((s) => s.endsWith('/dist')));
    assert.equal(dist?.from, build.stage, 'dist/ comes from the build stage');
    // The "node" package is a dev dependency only, so it is not in the image.
    assert.ok(pkg.devDependencies.node && !pkg.dependencies.node);
    assert.ok(!inFinal('RUN').some((i) => /npm (ci|install)/.test(args(i))), 'the runtime stage installs no packages from npm');
  });

  test('the shipped code (dist/) imports only production dependencies, the only ones in the image', () => {
    const files: string[] = [];
    const walk = (d: string): void => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(d, e.name));
        else if (e.name.endsWith('.js')) files.push(join(d, e.name));
      }
    };
    assert.ok(existsSync(join(ROOT, 'dist', 'main.js')), 'dist/ is missing: run npm run build first');
    walk(join(ROOT, 'dist'));
    const missing = new Set<string>();
    for (const file of files) {
      const code = readFileSync(file, 'utf8');
      // Static imports/re-exports start a statement; dynamic ones are import('…') calls.
      const specifiers = [
        ...code.matchAll(/^\s*(?:import|export)\b[^;'"]*?\bfrom\s*['"]([^'"]+)['"]/gm),
        ...code.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm),
        ...code.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
      ];
      for (const m of specifiers) {
        const spec = m[1] as string;
        if (spec.startsWith('.') || spec.startsWith('node:') || builtinModules.includes(spec)) continue;
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] as string);
        if (!(name in pkg.dependencies)) missing.add(`${relative(ROOT, file)} imports ${name}`);
      }
    }
    assert.deepEqual([...missing], [], 'move these to "dependencies", or npm ci --omit=dev leaves them out of the image');
  });

  test('the runtime installs Debian ffmpeg and tini, runs as UID 1000, and starts tini → node dist/main.js', () => {
    const apt = inFinal('RUN')
      .map(args)
      .find((t) => t.includes('apt-get install'));
    assert.ok(apt && /\bffmpeg\b/.test(apt) && /\btini\b/.test(apt) && apt.includes('--no-install-recommends') && apt.includes('rm -rf /var/lib/apt/lists'));
    const users = inFinal('USER');
    assert.equal(users.length, 1);
    assert.equal(args(users[0] as Instruction), '1000:1000', 'numeric, non-root (Kubernetes runAsNonRoot can only verify numeric users)');
    const entry = inFinal('ENTRYPOINT');
    assert.equal(entry.length, 1);
    const argv = jsonArgs(entry[0] as Instruction);
    assert.deepEqual(argv.slice(0, 3), ['/usr/bin/tini', '--', 'node']);
    const wd = workdir(final, entry[0] as Instruction);
    const script = posix.resolve(wd, argv[3] ?? '');
    // The tests start CLI = <repo>/dist/main.js; package.json's bin is the same file.
    const tested = relative(ROOT, CLI).split('\\').join('/');
    assert.equal(tested, 'dist/main.js');
    assert.equal(script, posix.join(wd, tested), 'the image starts the file the tests start');
    assert.equal(pkg.bin['camera-recorder'], tested);
    const tsconfig = JSON.parse(read('tsconfig.json')) as { compilerOptions: { outDir: string } };
    assert.equal(tsconfig.compilerOptions.outDir, 'dist');
    const cmd = inFinal('CMD');
    assert.deepEqual(cmd.length === 1 ? jsonArgs(cmd[0] as Instruction) : [], [], 'arguments pass straight to camera-recorder');
  });

  test('EXPOSE, HEALTHCHECK, TEMP_DIR and OCI labels agree with the service and the manifests', () => {
    const port = KEYS.find((k) => k.env === 'METRICS_PORT')?.default;
    assert.deepEqual(inFinal('EXPOSE').map(args), [String(port)]);
    const health = inFinal('HEALTHCHECK').map(args);
    assert.equal(health.length, 1);
    assert.match(health[0] as string, /CMD \["node", "-e", .*\/health/);
    assert.doesNotMatch(health[0] as string, /curl|wget/);
    const env = inFinal('ENV').map(args).join(' ');
    const tempDir = /TEMP_DIR=(\S+)/.exec(env)?.[1];
    const configMap = yamlDoc<{ data: Record<string, string> }>('manifests/configmap.yaml');
    assert.equal(tempDir, configMap.data.TEMP_DIR, 'image TEMP_DIR = ConfigMap TEMP_DIR');
    assert.ok(
      inFinal('RUN').some((i) => args(i).includes(`chown 1000:1000 ${tempDir}`)),
      'TEMP_DIR exists and belongs to UID 1000 (docker volumes inherit it)',
    );
    const labels = inFinal('LABEL').map(args).join(' ');
    for (const [label, arg] of [
      ['version', 'VERSION'],
      ['revision', 'REVISION'],
      ['source', 'SOURCE'],
      ['created', 'CREATED'],
    ]) {
      assert.ok(labels.includes(`org.opencontainers.image.${label}="\${${arg}}"`), `label ${label} from ARG ${arg}`);
      assert.ok(
        inFinal('ARG').some((i) => args(i).startsWith(`${arg}=`) || args(i) === arg),
        `ARG ${arg}`,
      );
    }
    for (const i of [...inFinal('ENV'), ...inFinal('ARG')])
      assert.doesNotMatch(args(i), /SECRET|PASSWORD|TOKEN|ACCESS_KEY/i, 'no credentials baked into the image');
  });

  test('.dockerignore admits exactly what the Dockerfile copies from the context', () => {
    const patterns = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    const toRegex = (p: string): RegExp =>
      new RegExp(
        `^${p
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*\*/g, '\uE000')
          .replace(/\*/g, '[^/]*')
          .replace(/\?/g, '[^/]')
          .replace(/\uE000/g, '.*')}$`,
      );
    // Docker: the last matching pattern wins, and a path is matched together with its parents.
    const excluded = (path: string): boolean => {
      let out = false;
      const parts = path.split('/');
      for (const raw of patterns) {
        const negate = raw.startsWith('!');
        const re = toRegex(posix.normalize(negate ? raw.slice(1) : raw).replace(/\/$/, ''));
        if (parts.some((_, n) => re.test(parts.slice(0, n + 1).join('/')))) out = !negate;
      }
      return out;
    };
    const sources = all.flatMap((s) =>
      s.instructions.filter((i) => i.getKeyword() === 'COPY' && flag(i, 'from') === undefined).flatMap((i) => copyParts(i).sources),
    );
    assert.ok(sources.length > 0);
    for (const src of sources) assert.ok(!excluded(src), `${src} is copied but excluded by .dockerignore`);
    for (const src of ['src/main.ts', 'package-lock.json', 'tsconfig.json']) assert.ok(!excluded(src), `${src} must reach the build`);
    for (const p of [
      'node_modules/x',
      'dist/main.js',
      '.git/config',
      'test/deploy/lib.ts',
      'manifests/configmap.yaml',
      'recordings/a.mp4',
      'camera-recorder-demo/x',
      '.env',
      'secret.yaml',
    ]) {
      assert.ok(excluded(p), `${p} should not be in the build context`);
    }
  });
});

// ---- build.sh -------------------------------------------------------------------------------------

const work = mkdtempSync(join(tmpdir(), 'build-sh-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** A throwaway git repository holding build.sh, package.json and Dockerfile, one commit. */
function repo(): { dir: string; sha: string } {
  const dir = mkdtempSync(join(work, 'repo-'));
  for (const f of ['build.sh', 'package.json', 'Dockerfile']) copyFileSync(join(ROOT, f), join(dir, f));
  chmodSync(join(dir, 'build.sh'), 0o755);
  const git = (...a: string[]): string => {
    const r = spawnSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.invalid', '-c', 'commit.gpgsign=false', ...a], {
      cwd: dir,
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim();
  };
  git('init', '-q');
  git('add', '.');
  git('commit', '-q', '-m', 'test');
  return { dir, sha: git('rev-parse', 'HEAD') };
}

/** A PATH with only the commands build.sh needs, plus stub container tools that log their calls. */
function path(stubs: Record<string, string>): { PATH: string; log: string } {
  const dir = mkdtempSync(join(work, 'bin-'));
  for (const tool of ['bash', 'git', 'sed', 'head', 'dirname', 'date', 'cat']) {
    const which = spawnSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
    assert.ok(which, `${tool} is needed to test build.sh`);
    symlinkSync(which, join(dir, tool));
  }
  const log = join(dir, 'calls.log');
  writeFileSync(log, '');
  for (const [name, body] of Object.entries(stubs)) {
    writeFileSync(join(dir, name), `#!/bin/sh\necho "${name} $*" >> "${log}"\n${body}\n`);
    chmodSync(join(dir, name), 0o755);
  }
  return { PATH: dir, log };
}

function buildSh(cwd: string, argv: string[], env: Record<string, string>): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync('/bin/bash', [join(cwd, 'build.sh'), ...argv], { cwd, env: { HOME: work, ...env }, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const calls = (log: string): string[] => readFileSync(log, 'utf8').split('\n').filter(Boolean);

describe('build.sh', () => {
  test('passes shellcheck', () => {
    requireTool('shellcheck', ['--version'], 'apt-get install shellcheck');
    const r = spawnSync('shellcheck', ['build.sh'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });

  test('--help explains usage and exits 0; an unknown argument exits 2', () => {
    const help = spawnSync('bash', ['build.sh', '--help'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /^Usage: \.\/build\.sh/);
    assert.match(help.stdout, /--push REGISTRY/);
    const bad = spawnSync('bash', ['build.sh', '--frobnicate'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /unknown argument "--frobnicate"/);
  });

  test('with a docker daemon: builds recorder-service:<version> and :<git-sha> with the OCI build args', () => {
    const { dir, sha } = repo();
    const bin = path({ docker: 'exit 0' });
    const r = buildSh(dir, [], { PATH: bin.PATH });
    assert.equal(r.code, 0, r.stderr);
    const [info, build, ...rest] = calls(bin.log);
    assert.equal(info, 'docker info');
    assert.equal(
      build,
      `docker build --file Dockerfile --tag recorder-service:${pkg.version} --tag recorder-service:${sha.slice(0, 12)} ` +
        `--build-arg VERSION=${pkg.version} --build-arg REVISION=${sha} --build-arg SOURCE= --build-arg CREATED=${/CREATED=(\S+)/.exec(build ?? '')?.[1]} .`,
    );
    assert.deepEqual(rest, []);
    assert.match(r.stdout, new RegExp(`built recorder-service:${pkg.version} recorder-service:${sha.slice(0, 12)}`));
  });

  test('--push REGISTRY tags both for the registry and pushes them; never pushes an uncommitted build', () => {
    const { dir, sha } = repo();
    const bin = path({ docker: 'exit 0' });
    const r = buildSh(dir, ['--push', 'registry.example.com/cameras/'], { PATH: bin.PATH, IMAGE_SOURCE: 'https://git.example.com/platform/camera-recorder' });
    assert.equal(r.code, 0, r.stderr);
    const c = calls(bin.log);
    const short = sha.slice(0, 12);
    assert.ok(
      c[1]?.includes(`--tag registry.example.com/cameras/recorder-service:${pkg.version} --tag registry.example.com/cameras/recorder-service:${short}`),
      c[1],
    );
    assert.ok(c[1]?.includes('--build-arg SOURCE=https://git.example.com/platform/camera-recorder '));
    assert.deepEqual(c.slice(2), [
      `docker push registry.example.com/cameras/recorder-service:${pkg.version}`,
      `docker push registry.example.com/cameras/recorder-service:${short}`,
    ]);

    writeFileSync(join(dir, 'Dockerfile'), `${readFileSync(join(dir, 'Dockerfile'), 'utf8')}# local edit\n`);
    const dirty = path({ docker: 'exit 0' });
    const refused = buildSh(dir, ['--push', 'registry.example.com/cameras'], { PATH: dirty.PATH });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /refusing to push: tracked files have uncommitted changes/);
    assert.ok(!calls(dirty.log).some((l) => l.includes('build') || l.includes('push')));
    const local = buildSh(dir, [], { PATH: dirty.PATH });
    assert.equal(local.code, 0, local.stderr);
    assert.ok(
      calls(dirty.log).some((l) => l.includes(`--tag recorder-service:${short}-dirty`)),
      'a local build of a dirty tree is tagged <sha>-dirty',
    );
  });

  test('without a docker daemon it falls back to podman, then buildah', () => {
    const { dir } = repo();
    const podman = path({ docker: '[ "$1" = info ] && exit 1; exit 0', podman: 'exit 0' });
    assert.equal(buildSh(dir, [], { PATH: podman.PATH }).code, 0);
    assert.match(calls(podman.log)[1] ?? '', /^podman build --file Dockerfile /);
    const buildah = path({ buildah: 'exit 0' });
    assert.equal(buildSh(dir, ['--push', 'registry.example.com/x'], { PATH: buildah.PATH }).code, 0);
    const c = calls(buildah.log);
    assert.match(c[0] ?? '', /^buildah build --file Dockerfile /);
    assert.match(c[1] ?? '', /^buildah push registry\.example\.com\/x\/recorder-service:/);
  });

  test('fails with a clear message when there is no container tool', () => {
    const { dir } = repo();
    const none = buildSh(dir, [], { PATH: path({}).PATH });
    assert.equal(none.code, 1);
    assert.match(none.stderr, /^build\.sh: no container tool found: install docker \(with its daemon running\), podman or buildah/);
    const noDaemon = buildSh(dir, [], { PATH: path({ docker: 'exit 1' }).PATH });
    assert.equal(noDaemon.code, 1);
    assert.match(noDaemon.stderr, /docker is installed but its daemon does not answer/);
  });
});
