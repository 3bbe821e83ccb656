import type { APIPromise } from "../core/api-promise";
import { type PagePromise, paginate } from "../core/pagination";
import type { RequestOptions } from "../core/request-options";
import type { components } from "../generated/openapi";
import { mergeHeaders } from "../internal/headers";
import { APIResource, seg } from "./resource";

type Schemas = components["schemas"];
export type Account = Schemas["Account"];
export type UpdateAccountParams = Schemas["UpdateAccountRequest"];
export type IngestParams = Schemas["IngestRequest"];
export type IngestResult = Schemas["IngestResult"];
export type TrackInput = Schemas["TrackInput"];
export type AnalysisInput = Schemas["AnalysisInput"];

export interface ListAccountsParams {
  /** Accounts per page, 1 to 1,000 (server default 100). */
  limit?: number;
  /** Start after this account id (the last one of a page already read). */
  after?: string;
}

/** Every account on the server; needs a key with the `admin` scope. */
export class Accounts extends APIResource {
  /**
   * Oldest first. `await` it for the first page, or `for await` over it for every account, the
   * pages fetched as the loop reaches them.
   */
  list(params: ListAccountsParams = {}, options?: RequestOptions): PagePromise<Account> {
    return paginate(async (cursor) => {
      const page = await this.client.get<Schemas["AccountList"]>("/v1/admin/accounts", {
        ...options,
        query: { limit: params.limit, after: cursor ?? params.after },
      });
      return { items: page.accounts, nextCursor: page.next_after };
    });
  }

  /** Changes the tier or disables the account (every key of it stops at once). */
  update(id: string, params: UpdateAccountParams, options?: RequestOptions): APIPromise<Account> {
    return this.client.patch(`/v1/admin/accounts/${seg(id)}`, { ...options, body: params });
  }
}

export interface IngestOptions extends RequestOptions {
  /**
   * Names the batch (1 to 255 printable ASCII characters). Sent again under it within a day, the
   * batch is not written twice and the first write's result comes back. Default: a new UUID per
   * call, which makes this call's own retries safe; give one of your own (derived from the batch,
   * say) to make your retries across calls or processes safe too.
   */
  idempotencyKey?: string | undefined;
}

/** The ingestion door: new analyses (and tracks) written into the corpus; needs the `admin` scope. */
export class Analyses extends APIResource {
  /**
   * Writes one batch in one transaction, all or nothing (up to 5,000 rows): a bad row refuses the
   * whole batch with a BadRequestError whose `problem.errors` name every bad field. Sent under an
   * idempotency key, so a retry after a lost answer cannot write it twice, and retried as reads
   * are; never split, so it stays whole.
   */
  ingest(params: IngestParams, options: IngestOptions = {}): APIPromise<IngestResult> {
    const { idempotencyKey = newIdempotencyKey(), ...rest } = options;
    if (idempotencyKey === undefined)
      return this.client.post("/v1/admin/analyses", { ...rest, body: params });
    return this.client.post("/v1/admin/analyses", {
      ...rest,
      body: params,
      headers: mergeHeaders(rest.headers, { "idempotency-key": idempotencyKey }),
      idempotent: true,
    });
  }
}

/** A UUID, or nothing where randomUUID is missing (plain-http pages): then the call is not retried. */
function newIdempotencyKey(): string | undefined {
  return typeof crypto !== "undefined" && typeof crypto.randomUUID === "function"
    ? crypto.randomUUID()
    : undefined;
}

/** Operator routes. */
export class Admin extends APIResource {
  readonly accounts = new Accounts(this.client);
  readonly analyses = new Analyses(this.client);
}
