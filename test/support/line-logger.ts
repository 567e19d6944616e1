// A real logger (createLogger, with redaction) whose lines a test can read back.
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/logger.ts';
import { Redactor } from '../../src/redact.ts';

export function lineLogger(level = 'info'): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { log: createLogger(level, new Redactor(), sink), lines };
}
