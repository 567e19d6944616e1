// A camera's RTSP URL, checked so that what the recorder connects to is what the user meant. A
// password holding "/", "?" or "#" ends the host part early: the URL parser (and ffmpeg) would
// read `rtsp://viewer:12#ab@cam/s` as host "viewer", port 12 — silently. Such URLs are refused
// with the fix (percent-encode), and every message shows the URL with its password masked.
import type { ConfigProblem } from '../errors.ts';
import { maskUrl, rawUserinfo } from '../redact.ts';

const ENCODE_HINT =
  'percent-encode special characters in the user name and password ("@" as %40, "/" as %2F, "#" as %23, "?" as %3F, ":" in the user name as %3A, "%" as %25, a space as %20)';

export function checkUrl(value: unknown, at: string, problems: ConfigProblem[]): string | undefined {
  const url = parseUrl(value, at, problems, {
    missing: 'set the camera\'s RTSP URL, e.g. "rtsp://user:password@192.0.2.10:554/stream1"',
    expected: 'rtsp://[user:password@]host[:port]/path',
  });
  if (url === undefined || typeof value !== 'string') return undefined;
  const shown = `"${maskUrl(value)}"`;
  if (url.protocol === 'synthetic:') return value;
  if (url.protocol !== 'rtsp:' && url.protocol !== 'rtsps:') {
    problems.push({ key: at, message: `scheme "${url.protocol}" is not supported; use rtsp:// or rtsps://` });
    return undefined;
  }
  if (url.hostname === '') {
    problems.push({ key: at, message: `${shown} has no host; expected rtsp://host[:port]/path` });
    return undefined;
  }
  if (url.hash !== '') {
    problems.push({
      key: at,
      message: `${shown} has a "#" fragment, which RTSP does not use: if "#" is part of the path or password, percent-encode it as %23`,
    });
    return undefined;
  }
  return value;
}

/** A source URL of any scheme, parsed once its user name and password are known to be read whole; else undefined, with the problem. */
export function parseUrl(value: unknown, at: string, problems: ConfigProblem[], hint: { missing: string; expected: string }): URL | undefined {
  if (typeof value !== 'string' || value === '') {
    problems.push({ key: at, message: `missing: ${hint.missing}` });
    return undefined;
  }
  if (!checkUserinfo(value, at, problems)) return undefined;
  try {
    return new URL(value);
  } catch {
    problems.push({ key: at, message: `"${maskUrl(value)}" is not a URL; expected ${hint.expected}; ${ENCODE_HINT}` });
    return undefined;
  }
}

/** Whether the user name and password of a URL are written so that a URL parser reads them whole. */
function checkUserinfo(value: string, at: string, problems: ConfigProblem[]): boolean {
  const shown = `"${maskUrl(value)}"`;
  const afterScheme = value.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const afterHost = afterScheme === value ? '' : afterScheme.slice(afterScheme.search(/[/?#]|$/));
  if (afterHost.includes('@')) {
    problems.push({
      key: at,
      message: `${shown} has an "@" after a "/", "?" or "#", so part of the user name or password would be read as the host and port: ${ENCODE_HINT}, and write an "@" in the path as %40`,
    });
    return false;
  }
  const userinfo = rawUserinfo(value);
  if (userinfo && /%(?![0-9a-f]{2})/i.test(`${userinfo.user}:${userinfo.password ?? ''}`)) {
    problems.push({ key: at, message: `${shown} has a "%" in its user name or password that does not start a percent-encoded character: ${ENCODE_HINT}` });
    return false;
  }
  return true;
}
