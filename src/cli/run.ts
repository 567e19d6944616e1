// The command line, configuration and the service's lifecycle; signals come in through
// StopSignals (caught by the entry, main.ts). The only catch-all in the service.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createApp, type App } from '../app.ts';
import { demoBanner, demoEnv } from './demo.ts';
import { HELP } from './help.ts';
import { runClips } from './clips-command.ts';
import { checkBinaries } from './preflight.ts';
import { systemClock } from '../clock.ts';
import { loadConfig, type Env } from '../config/load.ts';
import { effectiveConfig } from '../config/print.ts';
import type { Config } from '../config/schema.ts';
import { parseDuration } from '../config/units.ts';
import { ConfigError } from '../errors.ts';
import { createLogger } from '../logger.ts';
import { Redactor } from '../redact.ts';
import { registerSecrets } from '../config/secrets.ts';
import type { StopSignals } from '../stop-signals.ts';

const EXIT_USAGE = 2;
const redactor = new Redactor();

function fail(lines: string[]): never {
  process.stderr.write(redactor.scrub(`${lines.join('\n')}\n`));
  process.exit(EXIT_USAGE);
}

function configFailure(err: ConfigError, file: string | undefined): never {
  fail([`camera-recorder: invalid configuration${file ? ` (${file})` : ''}:`, ...err.problems.map((p) => `  ${p.key}: ${p.message}`)]);
}

function version(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

async function main(signals: StopSignals): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        config: { type: 'string' },
        'check-config': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
        dir: { type: 'string' },
        duration: { type: 'string' },
        port: { type: 'string' },
        camera: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        output: { type: 'string', short: 'o' },
        json: { type: 'boolean' },
      },
    });
  } catch (err) {
    fail([`camera-recorder: ${(err as Error).message}`, 'Run camera-recorder --help for usage.']);
  }
  const { values, positionals } = parsed;
  if (values.help) return void process.stdout.write(HELP);
  if (values.version) return void process.stdout.write(`${version()}\n`);
  const command = positionals[0];
  if (command === 'clips') {
    signals.release(); // a one-shot command: a signal ends it the default way
    const file = values.config ?? process.env.CONFIG_PATH;
    let config: Config;
    try {
      config = loadConfig(file, process.env, { requireCameras: false });
    } catch (err) {
      if (err instanceof ConfigError) configFailure(err, file);
      throw err;
    }
    registerSecrets(redactor, config);
    const code = await runClips(
      config,
      { action: positionals[1], camera: values.camera, from: values.from, to: values.to, output: values.output, json: values.json === true },
      process.stdout,
      {
        write: (text: string) => process.stderr.write(redactor.scrub(text)),
      } as NodeJS.WritableStream,
    );
    process.exitCode = code;
    return;
  }
  if (positionals.length > 1 || (command !== undefined && command !== 'demo')) {
    fail([`camera-recorder: unknown command "${positionals.join(' ')}"; the commands are "demo" and "clips"`, 'Run camera-recorder --help for usage.']);
  }
  const demo = command === 'demo';
  const demoDir = resolve(values.dir ?? 'camera-recorder-demo');
  const file = demo ? undefined : (values.config ?? process.env.CONFIG_PATH);
  const env: Env = demo ? demoEnv(demoDir, values.port, process.env) : process.env;
  const stopAfterMs = values.duration === undefined ? undefined : parseDuration(values.duration);
  if (values.duration !== undefined && stopAfterMs === undefined)
    fail([`camera-recorder: --duration "${values.duration}" is not a duration such as 30s or 5m`]);

  // Signals are handled before anything else: one that comes before the service started ends the
  // process at once (nothing recorded yet, so nothing to keep); later, the service stops in order.
  let log = createLogger('info', redactor); // until the configuration names the level
  let app: App | undefined;
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting at once; unfinished segments stay on disk');
      process.exit(130);
    }
    stopping = true;
    log.info({ signal }, 'shutdown requested');
    if (!app) {
      log.info('stopped before the service started');
      process.exit(0);
    }
    app.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.fatal({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  signals.handle(shutdown);

  let config: Config;
  try {
    config = loadConfig(file, env);
  } catch (err) {
    if (err instanceof ConfigError) configFailure(err, file);
    throw err;
  }
  registerSecrets(redactor, config);
  if (values['check-config']) {
    process.stdout.write(redactor.scrub(`${JSON.stringify(effectiveConfig(config), null, 2)}\n`));
    return;
  }
  try {
    await checkBinaries([
      { key: 'recorder.ffmpeg_path', env: 'FFMPEG_PATH', path: config.recorder.ffmpegPath },
      { key: 'recorder.ffprobe_path', env: 'FFPROBE_PATH', path: config.recorder.ffprobePath },
    ]);
  } catch (err) {
    if (err instanceof ConfigError) configFailure(err, file);
    throw err;
  }

  log = createLogger(config.logLevel, redactor);
  process.on('unhandledRejection', (err) => {
    log.fatal({ err }, 'unhandled rejection');
    process.exit(1);
  });
  process.on('uncaughtException', (err) => {
    log.fatal({ err }, 'uncaught exception');
    process.exit(1);
  });

  app = createApp({ config, log, redactor, clock: systemClock });
  let address;
  try {
    address = await app.start();
  } catch (err) {
    if (err instanceof ConfigError) configFailure(err, file);
    throw err;
  }
  if (stopping || address === undefined) return; // a signal came while it started: it is stopping
  if (demo) process.stderr.write(demoBanner(config, demoDir, address.port, Boolean(process.env.API_TOKEN)));
  if (stopAfterMs !== undefined) setTimeout(() => shutdown('duration elapsed'), stopAfterMs).unref();
}

export function run(signals: StopSignals): void {
  main(signals).catch((err: unknown) => {
    process.stderr.write(redactor.scrub(`camera-recorder: fatal: ${(err as Error)?.stack ?? String(err)}\n`));
    process.exit(1);
  });
}
