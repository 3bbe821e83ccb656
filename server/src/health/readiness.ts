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
  /**
   * A check still unanswered at the timeout passes if it answered within this many ms: a busy
   * dependency (a database working through a Redis refill under load) is slow, not down. One that
   * fails with an error, or stays silent longer, fails.
   */
  slowGraceMs?: number;
};

export type CheckResult = {
  name: string;
  status: "pass" | "fail";
  critical: boolean;
  duration_ms: number;
  detail?: string;
};

export type ReadinessReport = {
  status: "ready" | "degraded" | "not_ready";
  checks: CheckResult[];
  /** When the checks ran: a report is reused for `cacheMs`, so probes cost nothing in between. */
  checkedAt: string;
};

export type ReadinessOptions = {
  /** A check with no answer after this long fails. */
  timeoutMs?: number;
  /**
   * How long a report answers every probe. A load balancer's probes (and a fuzzer's) then cost
   * one run of the checks per interval, however many arrive, and one slow answer of a busy
   * database cannot flap readiness probe by probe.
   */
  cacheMs?: number;
  now?: () => number;
};

/** The checks behind /ready. Each part of the system registers its own as it comes up. */
export class Readiness {
  private readonly checks = new Map<string, ReadinessCheck>();
  private readonly timeoutMs: number;
  private readonly cacheMs: number;
  private readonly now: () => number;
  private last: { at: number; report: Promise<ReadinessReport> } | undefined;
  /** When each check last answered, late answers included (for `slowGraceMs`). */
  private readonly answered = new Map<string, number>();

  constructor(options: ReadinessOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 2_000;
    this.cacheMs = options.cacheMs ?? 1_000;
    this.now = options.now ?? Date.now;
  }

  /** Adds a check, replacing an earlier one of the same name; the next probe runs it. */
  register(check: ReadinessCheck): this {
    this.checks.set(check.name, check);
    this.last = undefined;
    return this;
  }

  /** Drops the cached report: something changed that the next probe must see (preparation ended). */
  invalidate(): void {
    this.last = undefined;
  }

  get names(): string[] {
    return [...this.checks.keys()];
  }

  /** The report of the last `cacheMs` (or of the run in progress), else a fresh one. */
  run(): Promise<ReadinessReport> {
    const now = this.now();
    if (this.last && now - this.last.at < this.cacheMs) return this.last.report;
    const report = this.runChecks();
    this.last = { at: now, report };
    return report;
  }

  private async runChecks(): Promise<ReadinessReport> {
    const checkedAt = new Date(this.now()).toISOString();
    const checks = await Promise.all([...this.checks.values()].map((check) => this.runOne(check)));
    const failed = checks.filter((c) => c.status === "fail");
    const status = failed.some((c) => c.critical) ? "not_ready" : failed.length > 0 ? "degraded" : "ready";
    return { status, checks, checkedAt };
  }

  private async runOne(check: ReadinessCheck): Promise<CheckResult> {
    const critical = check.critical ?? true;
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const silent = new Error(`no answer within ${this.timeoutMs} ms`);
    const answer = new Promise<void>((resolve) => resolve(check.check())).then(() => {
      this.answered.set(check.name, this.now());
    });
    try {
      await Promise.race([
        answer,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(silent), this.timeoutMs);
        }),
      ]);
      return { name: check.name, status: "pass", critical, duration_ms: elapsed(started) };
    } catch (error) {
      const duration_ms = elapsed(started);
      const lastAnswer = this.answered.get(check.name);
      if (error === silent && check.slowGraceMs !== undefined && lastAnswer !== undefined) {
        const ago = this.now() - lastAnswer;
        if (ago <= check.slowGraceMs) {
          const detail = `busy: ${silent.message}; it answered ${Math.round(ago / 1000)} s ago`;
          return { name: check.name, status: "pass", critical, duration_ms, detail };
        }
      }
      const detail = error instanceof Error ? error.message : String(error);
      return { name: check.name, status: "fail", critical, duration_ms, detail };
    } finally {
      clearTimeout(timer);
    }
  }
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 100) / 100;
}
