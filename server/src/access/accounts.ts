import { z } from "zod";
import type { Sql } from "../db/database";
import { type Logger, silentLogger } from "../log/logger";
import { accessError } from "./errors";
import type { InvalidationBus } from "./invalidation";
import { type CreatedKey, isUuid, type KeyStore, type Queryable } from "./key-store";
import { DEFAULT_SCOPES } from "./scopes";
import { assertTier, DEFAULT_TIER, type Tiers } from "./tiers";

export type Account = {
  id: string;
  email: string;
  name: string;
  tier: string;
  disabledAt: Date | null;
  createdAt: Date;
};

type AccountRow = {
  id: string;
  email: string;
  name: string;
  tier: string;
  disabled_at: Date | null;
  created_at: Date;
};

const toAccount = (row: AccountRow): Account => ({
  id: row.id,
  email: row.email,
  name: row.name,
  tier: row.tier,
  disabledAt: row.disabled_at,
  createdAt: row.created_at,
});

const emailSchema = z.email().max(254);
const UNIQUE_VIOLATION = "23505";

/** Trimmed and lowercased, so Ada@Example.com and ada@example.com are one account. */
export function normalizeEmail(raw: string): string {
  const email = raw.trim().toLowerCase();
  if (!emailSchema.safeParse(email).success) {
    throw accessError("invalid_input", "email is not a valid email address", "email");
  }
  return email;
}

function normalizeName(raw: string | undefined): string {
  const name = (raw ?? "").trim();
  if (name.length > 200) throw accessError("invalid_input", "name has at most 200 characters", "name");
  return name;
}

export class AccountService {
  constructor(
    private readonly sql: Sql,
    private readonly keys: KeyStore,
    private readonly tiers: Tiers,
    private readonly invalidation: InvalidationBus,
    private readonly logger: Logger = silentLogger,
  ) {}

  /** Self-service: a free-tier account and its first key, in one transaction. */
  async signup(input: { email: string; name?: string }): Promise<{ account: Account; key: CreatedKey }> {
    return this.sql.begin(async (tx) => {
      const account = await this.insert(tx, input.email, input.name, DEFAULT_TIER);
      const key = await this.keys.create(account.id, { name: "default", scopes: DEFAULT_SCOPES }, { tx });
      return { account, key };
    });
  }

  /** Operator path (CLI, admin API): any tier, no key. */
  async create(input: { email: string; name?: string; tier: string }): Promise<Account> {
    assertTier(this.tiers, input.tier);
    return this.insert(this.sql, input.email, input.name, input.tier);
  }

  async get(id: string): Promise<Account> {
    const account = isUuid(id) ? await this.find(this.sql`id = ${id}`) : null;
    if (!account) throw accessError("not_found", "No such account");
    return account;
  }

  async findByEmail(email: string): Promise<Account | null> {
    return this.find(this.sql`email = ${normalizeEmail(email)}`);
  }

  /** Oldest first; pass the last id seen as `after` for the next page. */
  async list(options: { limit?: number; after?: string } = {}): Promise<Account[]> {
    const limit = Math.min(Math.max(options.limit ?? 100, 1), 1_000);
    const after = options.after && isUuid(options.after) ? options.after : null;
    const rows = await this.sql<AccountRow[]>`
      select id, email, name, tier, disabled_at, created_at from accounts
      ${
        after
          ? this.sql`where (created_at, id) > (select created_at, id from accounts where id = ${after})`
          : this.sql``
      }
      order by created_at, id limit ${limit}`;
    return rows.map(toAccount);
  }

  async setTier(id: string, tier: string): Promise<Account> {
    assertTier(this.tiers, tier);
    return this.update(id, this.sql`tier = ${tier}`);
  }

  /** Every key of the account stops working at once; enable() restores them. */
  async disable(id: string): Promise<Account> {
    return this.update(id, this.sql`disabled_at = coalesce(disabled_at, now())`);
  }

  async enable(id: string): Promise<Account> {
    return this.update(id, this.sql`disabled_at = null`);
  }

  private async insert(sql: Queryable, rawEmail: string, rawName: string | undefined, tier: string) {
    const email = normalizeEmail(rawEmail);
    const name = normalizeName(rawName);
    try {
      const [row] = await sql<AccountRow[]>`
        insert into accounts (email, name, tier) values (${email}, ${name}, ${tier})
        returning id, email, name, tier, disabled_at, created_at`;
      // Ids only: emails are personal data and stay out of logs.
      this.logger.info("account created", { account_id: row?.id, tier });
      return toAccount(row as AccountRow);
    } catch (error) {
      if ((error as { code?: string }).code === UNIQUE_VIOLATION) {
        throw accessError("conflict", "An account with this email already exists", "email");
      }
      throw error;
    }
  }

  private async find(where: ReturnType<Sql>): Promise<Account | null> {
    const [row] = await this.sql<AccountRow[]>`
      select id, email, name, tier, disabled_at, created_at from accounts where ${where}`;
    return row ? toAccount(row) : null;
  }

  private async update(id: string, set: ReturnType<Sql>): Promise<Account> {
    if (!isUuid(id)) throw accessError("not_found", "No such account");
    const [row] = await this.sql<AccountRow[]>`
      update accounts set ${set} where id = ${id}
      returning id, email, name, tier, disabled_at, created_at`;
    if (!row) throw accessError("not_found", "No such account");
    await this.invalidation.publish({ kind: "account", id });
    this.logger.info("account updated", {
      account_id: id,
      tier: row.tier,
      disabled: row.disabled_at !== null,
    });
    return toAccount(row);
  }
}
