// pino JSON logs on stdout. Every serialized line passes through the Redactor, so no code path
// (an SDK error message, ffmpeg's stderr, a config dump) can leak a secret by forgetting to scrub.
import { pino, type Logger } from 'pino';
import type { Redactor } from './redact.ts';

export type { Logger };

export function createLogger(level: string, redactor: Redactor, out: NodeJS.WritableStream = process.stdout): Logger {
  const destination = { write: (line: string): void => void out.write(redactor.scrub(line)) };
  return pino(
    {
      level,
      base: { service: 'camera-recorder' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: pino.stdSerializers.err },
    },
    destination,
  );
}
