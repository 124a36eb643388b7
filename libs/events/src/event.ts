/** A fact: its type (past tense), the schema version `v` of its payload, and the payload. */
export type Event<T extends string, V extends number, D> = Readonly<{ type: T; v: V; data: Readonly<D> }>;

/** What every command carries besides its data: its id (the commit id, so retries dedupe) and the time. */
export type CommandMetadata = Readonly<{ commandId: string; now: string }>;

/** An intention: imperative `VerbNoun`, decided by exactly one aggregate's decider. */
export type Command<T extends string, D> = Readonly<{ type: T; data: Readonly<D>; metadata: CommandMetadata }>;

/** An aggregate's rules as pure functions: fold events into state, decide a command against state. */
export type Decider<S, C, E> = Readonly<{
  decide: (command: C, state: S) => readonly E[];
  evolve: (state: S, event: E) => S;
  initialState: () => S;
  /** Folds many events at once (a commit, a history): the same as `evolve` one by one, maybe faster. */
  evolveAll?: (state: S, events: readonly E[]) => S;
}>;

/** Folds `events` into `state` with the decider's evolveAll when it has one, else evolve one by one. */
export const foldEvents = <S, E>(d: Pick<Decider<S, never, E>, 'evolve' | 'evolveAll'>, state: S, events: readonly E[]): S => {
  if (d.evolveAll) return d.evolveAll(state, events);
  let s = state;
  for (const e of events) s = d.evolve(s, e);
  return s;
};
