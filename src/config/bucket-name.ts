// S3's bucket naming rules, checked at start: a name the store refuses would otherwise fail every
// upload at run time, retried forever. These are AWS's rules for general purpose buckets; MinIO,
// Ceph RGW and SeaweedFS accept every name that follows them.

const RULES =
  'a bucket name is 3-63 characters of lowercase letters, digits, "." and "-", beginning and ending with a letter or digit, e.g. "camera-recordings"';
const RESERVED_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'];
const RESERVED_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'];

/** Why S3 would refuse `name` as a bucket name, with the rule; undefined when it is valid. */
export function bucketNameProblem(name: string): string | undefined {
  const shown = JSON.stringify(name);
  if (name.length < 3 || name.length > 63) return `${shown} has ${name.length} characters; ${RULES}`;
  if (!/^[a-z0-9.-]+$/.test(name)) return `${shown} has characters S3 does not allow (uppercase, "_", spaces, …); ${RULES}`;
  if (!/^[a-z0-9].*[a-z0-9]$/.test(name)) return `${shown} must begin and end with a lowercase letter or a digit; ${RULES}`;
  if (name.includes('..')) return `${shown} has two adjacent dots; ${RULES}`;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return `${shown} looks like an IP address, which S3 refuses as a bucket name; ${RULES}`;
  const prefix = RESERVED_PREFIXES.find((p) => name.startsWith(p));
  if (prefix) return `${shown} starts with "${prefix}", a prefix S3 reserves; choose another name`;
  const suffix = RESERVED_SUFFIXES.find((s) => name.endsWith(s));
  if (suffix) return `${shown} ends with "${suffix}", a suffix S3 reserves; choose another name`;
  return undefined;
}
