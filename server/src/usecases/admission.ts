import { answerFields } from "../access/answer-fields";
import { denialError } from "../access/denials";
import type { Cost, Denial } from "../access/gate";
import type { LimitResult } from "../access/limiter";
import type { Scope } from "../access/scopes";
import type { Verification } from "../access/verifier";
import type { Services } from "./context";
import { GatePayer, type Payer } from "./payer";

/** A request at a door, before anything is known of its key. */
export type Entry = {
  presented: string | undefined;
  /** The route's rule (access/route-access.ts): the scope it needs and the cost known up front. */
  rule: { scope: Scope | null; cost: Cost; concurrent: boolean };
  /**
   * The client's address, for counting failed authentications; `uncounted` counts none, and
   * `unknown` is a door that cannot tell it: a key the address might refuse is declined there.
   */
  address: (() => string) | "uncounted" | "unknown";
};

/** Admitted: the use case spends through `payer`, then `finish` pays what is still due. */
export type OpenDoor = {
  ok: true;
  payer: Payer;
  /** The answer's headers (RateLimit fields, private), and the refusal that wins over the answer if paying what was due was refused. */
  finish(): Promise<{ headers: Record<string, string>; refused?: Error }>;
};

/** Not admitted; nothing was spent but what the refusal itself counts. */
export type ClosedDoor = {
  ok: false;
  /** Why the key was refused before any spend; undefined for a spend refused or a key left to a door that knows the address. */
  denial: Denial | undefined;
  /** The refusal as answered (counted in the quota rejections metric), `denial` rewritten if given. */
  refuse(denial?: Denial): { error: Error; headers: Record<string, string> };
};

/**
 * The one way into the use cases for a key: authenticate → Payer → (spend what a route costs up
 * front, or leave it due to the use case's first spend, which it makes while reading) → finish:
 * pay what is still due → headers. Both doors (the app's access guard, the lookup lane) open it.
 */
export function admission(services: Services) {
  const gate = () => services.access.gate;
  const refusal = (denial: Denial, context: { tier?: string | undefined; limits: readonly LimitResult[] }) =>
    denialError(denial, { ...context, metrics: services.metrics });

  async function open(entry: Entry): Promise<OpenDoor | ClosedDoor> {
    const { presented, rule, address } = entry;
    if (address === "unknown" && gate().mayRefuseByAddress(presented)) {
      return closed(undefined, () => refusal({ status: 401, reason: "unknown" }, { limits: [] }), []);
    }
    const from = typeof address === "function" ? address : undefined;
    const identity = await gate().authenticate(presented, rule.scope, from);
    if (!identity.ok) {
      const tier = identity.principal?.tier;
      const { limits } = identity;
      return closed(identity.denial, (denial) => refusal(denial, { tier, limits }), limits);
    }
    const payer = new GatePayer(gate(), identity.principal, { due: rule.cost, metrics: services.metrics });
    if (!rule.concurrent) {
      const refused = await payer.close().then(() => undefined, asError);
      if (refused) return closed(undefined, () => refused, payer.limits);
    }
    return {
      ok: true,
      payer,
      finish: async () => {
        const refused = await payer.close().then(() => undefined, asError);
        const headers = answerFields(payer.limits);
        return refused ? { headers, refused } : { headers };
      },
    };
  }

  return {
    open,
    /**
     * A door that answers on its own (the lookup lane): opens, runs `work` with the Payer, finishes.
     * Undefined when the door did not open (or failed to): nothing was spent, and the request is
     * left to the app, which answers refusals. A refusal at finish wins over what `work` found.
     */
    serve: async <T>(
      entry: Entry,
      work: (payer: Payer) => Promise<T>,
    ): Promise<{ result: T | Error; headers: Record<string, string> } | undefined> => {
      const door = await open(entry).catch(() => undefined);
      if (!door?.ok) return undefined;
      // A throw while reading the request (a bad selection) is the answer too, its spend paid.
      const result = await (async () => work(door.payer))().catch(asError);
      const { headers, refused } = await door.finish();
      return { result: refused ?? result, headers };
    },
    /**
     * `serve` without waiting, for an answer already made (a lookup kept in memory): a key the
     * verifier holds and units this process holds, then `ready`'s answer if it still holds, then
     * the spend. Undefined, having spent nothing, when any of that is not so: `serve` then
     * decides. Nothing awaits from the check of the units to the spend, so both still hold.
     */
    serveHeld: <T>(
      entry: Entry,
      ready: () => T | undefined,
    ): { result: T; headers: Record<string, string> } | undefined => {
      let admit: (() => { limits: readonly LimitResult[] }) | undefined;
      let result: T | undefined;
      try {
        const identity = gate().holdsUnits
          ? gate().authenticateCached(entry.presented, entry.rule.scope)
          : undefined;
        admit = identity?.ok ? gate().heldAdmission(identity.principal, entry.rule.cost) : undefined;
        result = admit && ready();
      } catch {
        // Nothing was spent yet: the door that waits answers, and its own failure with it.
        return undefined;
      }
      if (!admit || result === undefined) return undefined;
      return { result, headers: answerFields(admit().limits) };
    },
    verify: (presented: string | undefined): Promise<Verification> =>
      services.access.verifier.verify(presented),
    /** The error a refusal is answered with (counted in the quota rejections metric). */
    refusal,
    /** RAPFS_METRICS_TOKEN, when set. */
    metricsToken: (): string | undefined => services.access.config.metricsToken,
    /** How many proxies in front of the server to trust for the client's address. */
    trustedProxyHops: (): number => services.access.config.trustedProxyHops,
  };
}

const asError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));

/** Refused before the use case: the refusal is built only if a door answers it. */
function closed(
  denial: Denial | undefined,
  error: (denial: Denial) => Error,
  limits: readonly LimitResult[],
): ClosedDoor {
  return {
    ok: false,
    denial,
    refuse: (rewritten) => ({
      error: error(rewritten ?? denial ?? { status: 401, reason: "unknown" }),
      headers: answerFields(limits),
    }),
  };
}

export type Admission = ReturnType<typeof admission>;
