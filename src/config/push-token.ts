// A push camera's own token: what the camera sends as `Authorization: Bearer <token>` with its
// pictures. Checked the same way in the configuration and over the API; never shown back.

const TOKEN = /^[\x21-\x7e]{16,256}$/;

/** Why this is not a usable push token (the message never quotes it), or undefined. */
export function pushTokenProblem(token: unknown): string | undefined {
  if (typeof token !== 'string') return 'must be a string';
  if (!TOKEN.test(token)) {
    return `must be 16 to 256 printable ASCII characters without spaces (got ${token.length} characters); make one with "openssl rand -hex 32"`;
  }
  return undefined;
}
