import { describe, expect, it } from "vitest";
import { bucket } from "../../src/api/access/client-address";

describe("the address signups and failed logins are counted by", () => {
  it("is one bucket per IPv4 client, however the address is spelled", () => {
    const spellings = [
      "198.51.100.1",
      "198.51.100.1:1234",
      "198.51.100.1:1235",
      "0198.051.100.001",
      "::ffff:198.51.100.1",
      "::ffff:c633:6401",
      "[::ffff:c633:6401]:443",
      "0:0:0:0:0:ffff:c633:6401",
    ];
    expect(new Set(spellings.map(bucket))).toEqual(new Set(["198.51.100.1"]));
  });

  it("counts IPv6 per /64, zones, brackets and ports aside", () => {
    const spellings = [
      "2001:db8:1:2::1",
      "2001:db8:1:2:ffff::9",
      "[2001:0db8:0001:0002::7]:8080",
      "2001:db8:1:2::1%eth0",
    ];
    expect(new Set(spellings.map(bucket))).toEqual(new Set(["2001:db8:1:2::/64"]));
    expect(bucket("2001:db8:1:3::1")).toBe("2001:db8:1:3::/64");
  });

  it("puts whatever is not an address in one shared bucket: no spelling makes a fresh one", () => {
    expect(new Set(["999.1.1.1", "not-an-ip", "unknown", "1.2.3", ""].map(bucket))).toEqual(
      new Set(["unparsable"]),
    );
  });
});
