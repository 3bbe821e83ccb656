import type postgres from "postgres";
import type { Sql } from "../db/database";
import type { DomainError } from "../errors";
import { type Logger, silentLogger } from "../log/logger";
import { generateKey } from "./api-key-format";
import { accessError } from "./errors";
import type { InvalidationBus } from "./invalidation";
import { isScope, missingScopes, type Scope } from "./scopes";

/** Anything that runs a query: the pool or an open transaction. */
export type Queryable = Sql | postgres.TransactionSql;

export type KeyStatus = "active" | "rotating" | "expired" | "revoked";

/** A key as its owner sees it: never the digest, never the plaintext. */
export type KeyInfo = {
  id: string;
  accountId: string;
  name: string;
  displayPrefix: string;
  scopes: Scope[];
  status: KeyStatus;
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
  replacedBy: string | null;
};

/** Returned only by create and rotate: `key` is the plaintext, shown once and stored nowhere. */
export type CreatedKey = { key: string; info: KeyInfo };

export type CreateKeyInput = {
  name?: string | undefined;
  scopes: readonly string[];
  expiresAt?: Date | null | undefined;
};

export type KeyRow = {
  id: string;
  account_id: string;
  name: string;
  display_prefix: string;
  scopes: string[];
  created_at: Date;
  last_used_at: Date | null;
  expires_at: Date | null;
  revoked_at: Date | null;
  replaced_by: string | null;
};

export type KeyLookup = {
  keyId: string;
  accountId: string;
  scopes: Scope[];
  expiresAt: Date | null;
  revokedAt: Date | null;
  tier: string;
  disabledAt: Date | null;
  /** Replaced by a rotation and in its grace period: it reads, but manages no keys. */
  rotating: boolean;
};

type KeyLookupRow = Pick<
  KeyRow,
  "id" | "account_id" | "scopes" | "expires_at" | "revoked_at" | "replaced_by"
> & {
  tier: string;
  disabled_at: Date | null;
};

export const DEFAULT_ROTATION_GRACE_SECONDS = 24 * 3_600;

/** What revoking (default `revoke`) or rotating (default `keep`) a key does to the keys it made. */
export type Descendants = "revoke" | "keep";
const MAX_LIVE_KEYS_PER_ACCOUNT = 50;
const MAX_NAME_LENGTH = 100;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

export function keyStatus(
  row: Pick<KeyRow, "expires_at" | "revoked_at" | "replaced_by">,
  now: Date,
): KeyStatus {
  if (row.revoked_at) return "revoked";
  if (row.expires_at && row.expires_at <= now) return "expired";
  return row.replaced_by ? "rotating" : "active";
}

export function toKeyInfo(row: KeyRow, now = new Date()): KeyInfo {
  return {
    id: row.id,
    accountId: row.account_id,
    name: row.name,
    displayPrefix: row.display_prefix,
    scopes: row.scopes.filter(isScope),
    status: keyStatus(row, now),
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    replacedBy: row.replaced_by,
  };
}

const columns = (sql: Queryable) =>
  sql`id, account_id, name, display_prefix, scopes, created_at, last_used_at, expires_at, revoked_at, replaced_by`;

export class KeyStore {
  private readonly now: () => Date;
  private readonly logger: Logger;

  constructor(
    private readonly sql: Sql,
    private readonly invalidation: InvalidationBus,
    options: { now?: () => Date; logger?: Logger } = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.logger = options.logger ?? silentLogger;
  }

  /**
   * Creates a key for an account. `grantedBy` is the scopes of the key asking, when a key asks:
   * the new key cannot exceed them. `creator` is that key: the new one expires no later than it
   * (an earlier or no expiry asked for is brought to the creator's), and is its descendant.
   */
  async create(
    accountId: string,
    input: CreateKeyInput,
    options: {
      grantedBy?: readonly string[];
      creator?: { keyId: string; expiresAt: Date | null };
      tx?: Queryable;
    } = {},
  ): Promise<CreatedKey> {
    const sql = options.tx ?? this.sql;
    const scopes = this.validateScopes(input.scopes, options.grantedBy);
    const bound = options.creator?.expiresAt ?? null;
    const name = (input.name ?? "").trim();
    if (name.length > MAX_NAME_LENGTH) {
      throw accessError("invalid_input", `A key name has at most ${MAX_NAME_LENGTH} characters`, "name");
    }
    const asked = input.expiresAt ?? null;
    if (asked && asked <= this.now()) {
      throw accessError("invalid_input", "expiresAt must be in the future", "expiresAt");
    }
    const expiresAt = bound && (!asked || asked > bound) ? bound : asked;
    const [{ live } = { live: 0 }] = await sql<{ live: number }[]>`
      select count(*)::int as live from api_keys
      where account_id = ${accountId} and revoked_at is null
        and (expires_at is null or expires_at > ${this.now()})`;
    if (live >= MAX_LIVE_KEYS_PER_ACCOUNT) {
      throw accessError("conflict", `An account holds at most ${MAX_LIVE_KEYS_PER_ACCOUNT} live keys`);
    }
    const generated = generateKey();
    const [row] = await sql<KeyRow[]>`
      insert into api_keys (account_id, key_hash, display_prefix, name, scopes, expires_at, created_by)
      values (${accountId}, ${generated.hash}, ${generated.displayPrefix}, ${name}, ${scopes}, ${expiresAt},
        ${options.creator?.keyId ?? null})
      returning ${columns(sql)}`;
    const info = toKeyInfo(row as KeyRow, this.now());
    this.logger.info("api key created", {
      account_id: accountId,
      key_id: info.id,
      key_prefix: info.displayPrefix,
    });
    return { key: generated.key, info };
  }

  /** Every key of the account, newest first, including revoked and expired ones. */
  async list(accountId: string): Promise<KeyInfo[]> {
    const rows = await this.sql<KeyRow[]>`
      select ${columns(this.sql)} from api_keys where account_id = ${accountId}
      order by created_at desc, id`;
    const now = this.now();
    return rows.map((row) => toKeyInfo(row, now));
  }

  async get(accountId: string, keyId: string): Promise<KeyInfo> {
    if (!isUuid(keyId)) throw notFound();
    const [row] = await this.sql<KeyRow[]>`
      select ${columns(this.sql)} from api_keys where id = ${keyId} and account_id = ${accountId}`;
    if (!row) throw notFound();
    return toKeyInfo(row, this.now());
  }

  /**
   * Issues a successor with the same name, scopes and expiry; the old key keeps working for
   * `graceSeconds` so deployments can switch over without downtime. A key asking (`caller`)
   * gets no successor that outlives it: an hour-long key rotating a permanent one makes a key
   * that ends with it.
   */
  async rotate(
    accountId: string,
    keyId: string,
    options: {
      graceSeconds?: number;
      descendants?: Descendants;
      caller?: { keyId: string; expiresAt: Date | null };
    } = {},
  ): Promise<CreatedKey & { previous: KeyInfo; descendantsRevoked: number }> {
    const grace = options.graceSeconds ?? DEFAULT_ROTATION_GRACE_SECONDS;
    if (!Number.isInteger(grace) || grace < 0 || grace > 30 * 86_400) {
      throw accessError("invalid_input", "graceSeconds is an integer from 0 to 2592000", "graceSeconds");
    }
    if (!isUuid(keyId)) throw notFound();
    const result = await this.sql.begin(async (tx) => {
      const [old] = await tx<KeyRow[]>`
        select ${columns(tx)} from api_keys where id = ${keyId} and account_id = ${accountId} for update`;
      if (!old) throw notFound();
      const status = keyStatus(old, this.now());
      if (status !== "active") throw accessError("conflict", `The key is ${status} and cannot be rotated`);
      const next = await this.create(
        accountId,
        { name: old.name, scopes: old.scopes, expiresAt: old.expires_at },
        { tx, ...(options.caller ? { creator: options.caller } : {}) },
      );
      // The successor takes the old key's place in the lineage: its parent, and its children
      // (kept by default, so deployments using keys it made keep working), or revoked.
      await tx`update api_keys set created_by = (select created_by from api_keys where id = ${keyId})
        where id = ${next.info.id}`;
      const revoked =
        options.descendants === "revoke"
          ? await this.revokeTree(tx as unknown as Queryable, accountId, keyId, { withRoot: false })
          : [];
      if (options.descendants !== "revoke")
        await tx`update api_keys set created_by = ${next.info.id} where created_by = ${keyId}`;
      const graceEnd = new Date(this.now().getTime() + grace * 1000);
      const [previous] = await tx<KeyRow[]>`
        update api_keys
        set replaced_by = ${next.info.id},
            expires_at = least(coalesce(expires_at, ${graceEnd}), ${graceEnd})
        where id = ${keyId}
        returning ${columns(tx)}`;
      return { ...next, previous: toKeyInfo(previous as KeyRow, this.now()), revoked };
    });
    for (const id of [keyId, ...result.revoked]) await this.invalidation.publish({ kind: "key", id });
    this.logger.info("api key rotated", {
      account_id: accountId,
      key_id: keyId,
      replaced_by: result.info.id,
      descendants_revoked: result.revoked.length,
    });
    const { revoked, ...rotated } = result;
    return { ...rotated, descendantsRevoked: revoked.length };
  }

  /**
   * Revokes at once, everywhere; revoking twice is not an error. By default the keys it made go
   * with it, transitively (a leaked key's children are as leaked); `descendants: "keep"` spares
   * them. The key asking (`spare`) and the keys it made are never among them: revoking an old key
   * with a newer one it made is a manual rotation, not a leak of the newer one.
   */
  async revoke(
    accountId: string,
    keyId: string,
    options: { descendants?: Descendants; spare?: string } = {},
  ): Promise<KeyInfo & { descendantsRevoked: number }> {
    if (!isUuid(keyId)) throw notFound();
    const { row, descendants } = await this.sql.begin(async (tx) => {
      const [root] = await tx<KeyRow[]>`
        update api_keys set revoked_at = coalesce(revoked_at, ${this.now()})
        where id = ${keyId} and account_id = ${accountId}
        returning ${columns(tx)}`;
      if (!root) throw notFound();
      const children =
        options.descendants === "keep"
          ? []
          : await this.revokeTree(tx as unknown as Queryable, accountId, keyId, {
              withRoot: false,
              ...(options.spare ? { spare: options.spare } : {}),
            });
      return { row: root, descendants: children };
    });
    for (const id of [keyId, ...descendants]) await this.invalidation.publish({ kind: "key", id });
    this.logger.info("api key revoked", {
      account_id: accountId,
      key_id: keyId,
      descendants_revoked: descendants.length,
    });
    return { ...toKeyInfo(row, this.now()), descendantsRevoked: descendants.length };
  }

  /** Revokes the keys `keyId` made, and theirs, in the account; the ids newly revoked. */
  private async revokeTree(
    sql: Queryable,
    accountId: string,
    keyId: string,
    options: { withRoot: boolean; spare?: string },
  ): Promise<string[]> {
    const spare = options.spare ?? null;
    const rows = await sql<{ id: string }[]>`
      with recursive tree (id) as (
        select id from api_keys where id = ${keyId} and account_id = ${accountId}
        union
        select k.id from api_keys k join tree t on k.created_by = t.id
        where k.account_id = ${accountId} and k.id is distinct from ${spare}::uuid
      )
      update api_keys set revoked_at = ${this.now()}
      where id in (select id from tree) and revoked_at is null
        and (${options.withRoot} or id <> ${keyId})
      returning id`;
    return rows.map((r) => r.id);
  }

  /** What the verifier needs about a presented key's digest, with its account, in one indexed read. */
  async lookup(hash: string): Promise<KeyLookup | null> {
    const [row] = await this.sql<KeyLookupRow[]>`
      select k.id, k.account_id, k.scopes, k.expires_at, k.revoked_at, k.replaced_by, a.tier, a.disabled_at
      from api_keys k join accounts a on a.id = k.account_id
      where k.key_hash = ${hash}`;
    if (!row) return null;
    return {
      keyId: row.id,
      accountId: row.account_id,
      scopes: row.scopes.filter(isScope),
      expiresAt: row.expires_at,
      revokedAt: row.revoked_at,
      tier: row.tier,
      disabledAt: row.disabled_at,
      rotating: row.replaced_by !== null,
    };
  }

  private validateScopes(requested: readonly string[], grantedBy: readonly string[] | undefined): Scope[] {
    const unknown = requested.filter((s) => !isScope(s));
    if (unknown.length > 0) {
      throw accessError("invalid_input", `Unknown scope ${unknown.join(", ")}`, "scopes");
    }
    const scopes = [...new Set(requested as Scope[])];
    if (scopes.length === 0) throw accessError("invalid_input", "A key needs at least one scope", "scopes");
    const missing = grantedBy ? missingScopes(grantedBy, scopes) : [];
    if (missing.length > 0) {
      throw accessError("forbidden", `This key cannot grant ${missing.join(", ")}`, "scopes");
    }
    return scopes;
  }
}

function notFound(): DomainError {
  return accessError("not_found", "No such key");
}
