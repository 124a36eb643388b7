import { flag, list, onlyKnown, opt, parseArgs, UsageError } from './args';

describe('parseArgs', () => {
  it('reads positional words, --name value, --name=value, flags and repeated lists', () => {
    const a = parseArgs(['drill', '--nats', 'nats://x:1', '--type=A,B', '--type', 'C', '--json'], new Set(['json']));
    expect(a.positional).toEqual(['drill']);
    expect(opt(a, 'nats')).toBe('nats://x:1');
    expect(list(a, 'type')).toEqual(['A', 'B', 'C']);
    expect(flag(a, 'json')).toBe(true);
  });
  it('refuses a missing value and an unknown option', () => {
    expect(() => parseArgs(['--lb'], new Set())).toThrow(UsageError);
    expect(() => onlyKnown(parseArgs(['--porject', 'p'], new Set()), ['project'])).toThrow('unknown option --porject');
  });
});
