/** One problem in the definitions, located by file → definition → feature. */
export type DefinitionProblem = { path: string[]; message: string };

export class DefinitionError extends Error {
  override name = "DefinitionError";
  constructor(readonly problems: DefinitionProblem[]) {
    super(
      `${problems.length} problem${problems.length === 1 ? "" : "s"} in the feature definitions:\n` +
        problems.map((p) => `  ${p.path.join(" → ")}: ${p.message}`).join("\n"),
    );
  }
}

/**
 * Collects every problem with its location so one run reports them all (after Cube's
 * ErrorReporter: inContext + throwIfAny).
 */
export class ErrorReporter {
  private constructor(
    private readonly sink: DefinitionProblem[],
    private readonly path: string[],
  ) {}

  static create(): ErrorReporter {
    return new ErrorReporter([], []);
  }

  inContext(...segments: string[]): ErrorReporter {
    return new ErrorReporter(this.sink, [...this.path, ...segments]);
  }

  error(message: string, ...segments: string[]): void {
    this.sink.push({ path: [...this.path, ...segments], message });
  }

  get problems(): readonly DefinitionProblem[] {
    return this.sink;
  }

  hasErrors(): boolean {
    return this.sink.length > 0;
  }

  throwIfAny(): void {
    if (this.sink.length > 0) throw new DefinitionError([...this.sink]);
  }
}
