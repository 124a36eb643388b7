/** Thrown by an app's loadConfig when variables are missing or malformed; lists all of them at once. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** Small readers for loadConfig functions: each records a problem instead of throwing, so all are reported together. */
export function envReader(env: Record<string, string | undefined>) {
  const problems: string[] = [];
  const str = (name: string, fallback?: string): string => {
    const v = env[name] ?? fallback;
    if (v === undefined || v === '') problems.push(`${name} is required`);
    return v ?? '';
  };
  const int = (name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) problems.push(`${name} must be an integer in ${min}..${max}, got ${JSON.stringify(raw)}`);
    return n;
  };
  const bool = (name: string, fallback: boolean): boolean => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    if (!/^(true|false|1|0|yes|no)$/i.test(raw)) problems.push(`${name} must be true or false, got ${JSON.stringify(raw)}`);
    return /^(true|1|yes)$/i.test(raw);
  };
  const done = () => { if (problems.length) throw new ConfigError(problems); };
  return { str, int, bool, problems, done };
}
