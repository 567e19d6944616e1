// The environment of every ffmpeg and ffprobe we start. execa passes the whole parent environment
// by default, and ours holds the S3 keys, API_TOKEN and every CAMERA<N>_RTSP_URL: a child that
// parses untrusted network input (a camera's stream) must not be able to read them. PATH finds
// the binaries; TZ keeps local times the host's (the recorder overrides it with UTC).

export interface ChildEnvOptions {
  env: Record<string, string>;
  extendEnv: false;
}

/** execa options giving a child only PATH, TZ and `extra`. */
export function childEnv(extra: Record<string, string> = {}, parent: NodeJS.ProcessEnv = process.env): ChildEnvOptions {
  const env: Record<string, string> = { PATH: parent.PATH ?? '/usr/local/bin:/usr/bin:/bin' };
  if (parent.TZ !== undefined) env.TZ = parent.TZ;
  return { env: { ...env, ...extra }, extendEnv: false };
}
