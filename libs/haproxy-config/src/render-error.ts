/** The tree cannot be rendered (an unsafe token, a protocol the data plane does not run); the agent reports it rejected. */
export class RenderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RenderError';
  }
}

/** Every renderer refuses a value it cannot write safely the same way. */
export const refuse = (what: string, v: unknown): never => {
  throw new RenderError(`refusing to render ${what}: ${JSON.stringify(v)}`);
};
