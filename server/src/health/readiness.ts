/** One readiness check; it passes by resolving and fails by throwing (its message is shown). */
export type ReadinessCheck = {
  name: string;
  check: () => Promise<void>;
  /**
   * A failing critical check makes the service not ready (503). A non-critical one is reported
   * as degraded: Redis, whose outage the Postgres fallback covers, must not take every replica
   * out of the load balancer at once.
   */
  critical?: boolean;
};

export type CheckResult = {
  name: string;
  status: "pass" | "fail";
  critical: boolean;
  duration_ms: number;
  detail?: string;
};

export type ReadinessReport = { status: "ready" | "degraded" | "not_ready"; checks: CheckResult[] };

/** The checks behind /ready. Each part of the system registers its own as it comes up. */
export class Readiness {
  private readonly checks = new Map<string, ReadinessCheck>();

  constructor(private readonly timeoutMs = 2_000) {}

  /** Adds a check, replacing an earlier one of the same name. */
  register(check: ReadinessCheck): this {
    this.checks.set(check.name, check);
    return this;
  }

  get names(): string[] {
    return [...this.checks.keys()];
  }

  async run(): Promise<ReadinessReport> {
    const checks = await Promise.all([...this.checks.values()].map((check) => this.runOne(check)));
    const failed = checks.filter((c) => c.status === "fail");
    const status = failed.some((c) => c.critical) ? "not_ready" : failed.length > 0 ? "degraded" : "ready";
    return { status, checks };
  }

  private async runOne(check: ReadinessCheck): Promise<CheckResult> {
    const critical = check.critical ?? true;
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        check.check(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer within ${this.timeoutMs} ms`)),
            this.timeoutMs,
          );
        }),
      ]);
      return { name: check.name, status: "pass", critical, duration_ms: elapsed(started) };
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      return { name: check.name, status: "fail", critical, duration_ms: elapsed(started), detail };
    } finally {
      clearTimeout(timer);
    }
  }
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 100) / 100;
}
