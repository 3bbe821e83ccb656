import { describe, expect, it } from "vitest";
import { documentedContract, shippedContract } from "../../scripts/analysis-contract/contract";

describe("docs/api.md's table of what each analyzer's analysis_data must hold", () => {
  it("is what the shipped definitions read (pnpm analysis-contract redraws it)", async () => {
    const table = await shippedContract();
    expect(table).toContain(
      "| `emotion-distilroberta` | `joy` | a number (or a string of one), within ±1e150 |",
    );
    expect(documentedContract()).toBe(table);
  });
});
