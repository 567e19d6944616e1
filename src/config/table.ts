// What TOML gives for a [table] or { inline = "table" }: a plain object (a TOML date is an object too).
export function isTable(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}
