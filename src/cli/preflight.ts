// Fail at start, with the fix, when a binary the service shells out to is missing.
import { execa } from 'execa';
import { childEnv } from '../child-env.ts';
import { ConfigError, type ConfigProblem } from '../errors.ts';

export async function checkBinaries(bins: { key: string; env: string; path: string }[]): Promise<void> {
  const problems: ConfigProblem[] = [];
  for (const bin of bins) {
    const result = await execa(bin.path, ['-version'], { ...childEnv(), reject: false, timeout: 10_000, stdin: 'ignore' });
    if (result.failed) {
      problems.push({
        key: bin.key,
        message: `cannot run "${bin.path}" (${result.code ?? `exit code ${result.exitCode}`}); install ffmpeg (apt-get install ffmpeg) or set ${bin.env}`,
      });
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
}
