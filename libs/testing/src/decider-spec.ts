import { DomainError, type DomainErrorKind, type Workflow } from '@lbaas/domain';
import type { Decider } from '@lbaas/events';

/**
 * Given/when/then for deciders and workflows (STYLE §9), usable from any test runner: a failed expectation
 * throws an Error whose message shows expected and actual.
 */

const pretty = (x: unknown): string =>
  JSON.stringify(x, (_k, v: unknown) => (v instanceof Map ? Object.fromEntries(v) : v instanceof Set ? [...v] : v), 2);

/** Structural equality of plain data (what events and commands are). Keys whose value is undefined count as absent. */
export const deepEqual = (a: unknown, b: unknown): boolean => {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const ka = Object.keys(ra).filter((k) => ra[k] !== undefined);
  const kb = Object.keys(rb).filter((k) => rb[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => deepEqual(ra[k], rb[k]));
};

/** What `then` and `thenThrows` check; `then` fails if the command threw, `thenThrows` if it did not. */
export type Then<O> = Readonly<{
  then: (expected: readonly O[]) => void;
  thenThrows: (kind: DomainErrorKind, message?: string | RegExp) => void;
}>;

const outcome = <O>(run: () => readonly O[]): Then<O> => {
  let result: { ok: true; value: readonly O[] } | { ok: false; error: unknown };
  try {
    result = { ok: true, value: run() };
  } catch (error) {
    result = { ok: false, error };
  }
  return {
    then: (expected) => {
      if (!result.ok) {
        const e = result.error;
        throw new Error(`expected ${pretty(expected)}\nbut it threw ${e instanceof DomainError ? `${e.kind}: ${e.message}` : String(e)}`);
      }
      if (!deepEqual(result.value, expected)) throw new Error(`expected ${pretty(expected)}\nbut got ${pretty(result.value)}`);
    },
    thenThrows: (kind, message) => {
      if (result.ok) throw new Error(`expected a ${kind} DomainError but got ${pretty(result.value)}`);
      const e = result.error;
      if (!(e instanceof DomainError)) throw new Error(`expected a ${kind} DomainError but it threw ${String(e)}`);
      const messageOk = message === undefined || (typeof message === 'string' ? e.message === message : message.test(e.message));
      if (e.kind !== kind || !messageOk) {
        throw new Error(`expected ${kind}${message === undefined ? '' : `: ${String(message)}`}\nbut got ${e.kind}: ${e.message}`);
      }
    },
  };
};

/** `deciderSpec(loadBalancer)(history).when(command).then(events)`: decide against the folded history. */
export const deciderSpec = <S, C, E>(decider: Decider<S, C, E>) => (history: readonly E[]) => ({
  when: (command: C): Then<E> => outcome(() => {
    const state = history.reduce(decider.evolve, decider.initialState());
    const events = decider.decide(command, state);
    events.reduce(decider.evolve, state); // what was decided must fold without error
    return events;
  }),
});

/** `workflowSpec(w)(inputs).when(input).then(commands)`: fold the inputs, then `step` with the last one. */
export const workflowSpec = <S, I, C>(workflow: Workflow<S, I, C>) => (inputs: readonly I[]) => ({
  when: (input: I): Then<C> => outcome(() => {
    const state = workflow.evolve(inputs.reduce(workflow.evolve, workflow.initialState()), input);
    return workflow.decide(input, state);
  }),
});
