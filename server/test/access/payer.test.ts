import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { AccessServices } from "../../src/access/access-services";
import type { Principal } from "../../src/access/verifier";
import { DomainError } from "../../src/errors";
import { GatePayer } from "../../src/usecases/payer";
import { type AccessTestDatabase, accessTestDatabase, tinyLimitsAccess } from "./support";

let db: AccessTestDatabase;
let access: AccessServices;

beforeAll(async () => {
  db = await accessTestDatabase();
});
afterAll(async () => {
  await access?.close();
  await db?.close();
});
beforeEach(async () => {
  await access?.close();
  access = await tinyLimitsAccess(db.sql);
});

let n = 0;
async function principal(): Promise<Principal> {
  const { key } = await access.accounts.signup({ email: `payer-${n++}@example.com` });
  const identity = await access.gate.authenticate(key.key, null);
  if (!identity.ok) throw new Error("the signed-up key does not authenticate");
  return identity.principal;
}
const left = async (who: Principal) => {
  const report = await access.gate.usage(who);
  return Object.fromEntries(report.windows.map((w) => [w.policy.name, w.remaining]));
};
const limitsOf = (payer: GatePayer) => payer.limits.map((l) => [l.policy.name, l.remaining]);
const refusalOf = async (promise: Promise<unknown>) => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  return error as DomainError;
};

describe("the Payer", () => {
  it("adds what is due to its first spend, and closing then spends nothing more", async () => {
    const who = await principal();
    const payer = new GatePayer(access.gate, who, { due: { rows: 1 } });
    await payer.spend({ rows: 3 });
    expect(limitsOf(payer)).toEqual([
      ["requests", 2],
      ["rows", 6],
    ]);
    await payer.close();
    await payer.close();
    expect(await left(who)).toMatchObject({ requests: 2, rows: 6 });
  });

  it("pays what is due when it closes without a spend, once", async () => {
    const who = await principal();
    const payer = new GatePayer(access.gate, who, { due: {} });
    await payer.close();
    await payer.close();
    expect(limitsOf(payer)).toEqual([["requests", 2]]);
    expect(await left(who)).toMatchObject({ requests: 2, rows: 10 });
  });

  it("refuses a spend all or nothing (403 past the day's quota), keeping every policy checked", async () => {
    const who = await principal();
    const payer = new GatePayer(access.gate, who, {});
    await payer.spend({ rows: 8 });
    const refused = await refusalOf(payer.spend({ rows: 4, downloads: 1 }));
    expect(refused.code).toBe("RATE_LIMITED");
    expect(Object.fromEntries(limitsOf(payer))).toMatchObject({ rows: 2 });
    expect(await left(who)).toMatchObject({ rows: 2, downloads: 1 });
  });

  it("lets a refusal win over what the work found, and a failed work over a granted spend", async () => {
    const who = await principal();
    const payer = new GatePayer(access.gate, who, {});
    await refusalOf(payer.spendWhile({ rows: 11 }, Promise.resolve("read")));
    await expect(payer.spendWhile({ rows: 1 }, Promise.reject(new Error("read failed")))).rejects.toThrow(
      "read failed",
    );
    expect(await payer.spendWhile({ rows: 1 }, Promise.resolve("read"))).toBe("read");
    expect(await left(who)).toMatchObject({ rows: 8 });
  });

  it("settles bytes as far as the day's quota goes, refusing nothing, and refunds what a spend took", async () => {
    const who = await principal();
    const payer = new GatePayer(access.gate, who, {});
    await payer.settle({ bytes: 400 });
    await payer.settle({ bytes: 900 });
    expect(await left(who)).toMatchObject({ bytes: 0 });
    await payer.spend({ downloads: 1, rows: 5 });
    await payer.refund({ downloads: 1, rows: 5 });
    expect(await left(who)).toMatchObject({ downloads: 1, rows: 10 });
    // The RateLimit fields say what is left after the refund (a 403 showed the download it gave back).
    expect(Object.fromEntries(limitsOf(payer))).toMatchObject({ downloads: 1, rows: 10 });
  });

  it("refuses a cost no whole day holds with 403 EXCEEDS_QUOTA, spending nothing", async () => {
    const who = await principal();
    const payer = new GatePayer(access.gate, who, { due: {} });
    const refused = await refusalOf(Promise.resolve().then(() => payer.refuseOversize({ rows: 11 })));
    expect([refused.code, refused.status]).toEqual(["EXCEEDS_QUOTA", 403]);
    expect(await left(who)).toMatchObject({ requests: 3, rows: 10 });
  });
});
