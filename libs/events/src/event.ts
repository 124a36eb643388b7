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
}>;
