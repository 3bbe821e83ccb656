import { denialError } from "../access/denials";
import type { Cost, Denial, GateResult } from "../access/gate";
import type { LimitResult } from "../access/limiter";
import type { Scope } from "../access/scopes";
import type { Principal, Verification } from "../access/verifier";
import type { Services } from "./context";
import { GatePayer, type Payer } from "./payer";

/**
 * What every door does before a use case: who is asking (key, scope, the caller's address for
 * failed attempts), the request's own rate, and the Payer the use case then spends through.
 */
export function admission(services: Services) {
  const gate = () => services.access.gate;
  return {
    authenticate: (
      presented: string | undefined,
      scope: Scope | null,
      from?: () => string,
    ): Promise<GateResult> => gate().authenticate(presented, scope, from),
    /** Authenticates and spends the request (and a cost known up front). */
    authorize: (
      presented: string | undefined,
      scope: Scope | null,
      cost?: Cost,
      from?: () => string,
    ): Promise<GateResult> => gate().authorize(presented, scope, cost, from),
    /** Whether a key could be refused for its address's failed attempts (a door that cannot tell the address declines). */
    mayRefuseByAddress: (presented: string | undefined): boolean => gate().mayRefuseByAddress(presented),
    verify: (presented: string | undefined): Promise<Verification> =>
      services.access.verifier.verify(presented),
    /** The Payer of an authenticated key; `due` (the request, a cost known up front) goes with its first spend. */
    payer: (
      principal: Principal,
      options: { due?: Cost | undefined; limits?: readonly LimitResult[] },
    ): Payer => new GatePayer(gate(), principal, { ...options, metrics: services.metrics }),
    /** The error a refusal is answered with (counted in the quota rejections metric). */
    refusal: (denial: Denial, context: { tier?: string | undefined; limits: readonly LimitResult[] }) =>
      denialError(denial, { ...context, metrics: services.metrics }),
    /** RAPFS_METRICS_TOKEN, when set. */
    metricsToken: (): string | undefined => services.access.config.metricsToken,
    /** How many proxies in front of the server to trust for the client's address. */
    trustedProxyHops: (): number => services.access.config.trustedProxyHops,
  };
}

export type Admission = ReturnType<typeof admission>;
