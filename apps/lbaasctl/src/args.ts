/** Parsed command line: positional words and `--name value` / `--flag` options (repeatable ones collect). */
export type Args = { positional: string[]; opts: Map<string, string[]> };

/** Thrown for a bad command line; main prints it with the usage and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** `--x v`, `--x=v`; names in `flags` take no value. */
export function parseArgs(argv: readonly string[], flags: ReadonlySet<string>): Args {
  const positional: string[] = [];
  const opts = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) { positional.push(a); continue; }
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    let value: string;
    if (flags.has(name)) value = 'true';
    else if (eq > 0) value = a.slice(eq + 1);
    else {
      if (i + 1 >= argv.length) throw new UsageError(`--${name} needs a value`);
      value = argv[++i];
    }
    opts.set(name, [...opts.get(name) ?? [], value]);
  }
  return { positional, opts };
}

export const opt = (a: Args, name: string): string | undefined => a.opts.get(name)?.at(-1);
export const flag = (a: Args, name: string): boolean => a.opts.has(name);
export const list = (a: Args, name: string): string[] => (a.opts.get(name) ?? []).flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);

/** Refuses options this command does not know (typos must not silently widen a filter). */
export function onlyKnown(a: Args, known: readonly string[]): void {
  for (const k of a.opts.keys()) if (!known.includes(k)) throw new UsageError(`unknown option --${k}`);
}
