import * as sdk from "@rapfs/sdk";
import { APIConnectionError, APIError, APITimeoutError, APIUserAbortError } from "@rapfs/sdk";
import { errorCodes } from "@rapfs/server/src/errors/codes";
import { describe, expect, it } from "vitest";

// The SDK's error classes follow the server's code table: one class per status it sends, none for
// a status it never sends. (A test may read the server's source; the SDK's own source may not.)
const serverStatuses = [...new Set(Object.values(errorCodes).map((c) => c.status))].sort((a, b) => a - b);

const classFor = (status: number) =>
  APIError.generate(status, { status, title: "t" }, new Headers()).constructor as typeof APIError;

/** Every APIError subclass the SDK exports for an error status (not the ones for no response). */
const noResponse: unknown[] = [APIConnectionError, APITimeoutError, APIUserAbortError];
const statusClasses = Object.values(sdk).filter(
  (value) =>
    typeof value === "function" && value.prototype instanceof APIError && !noResponse.includes(value),
);

describe("error classes from the server's error codes", () => {
  it.each(serverStatuses)("%i has a class of its own", (status) => {
    const ErrorClass = classFor(status);
    expect(ErrorClass).not.toBe(APIError);
    expect(serverStatuses.filter((other) => classFor(other) === ErrorClass)).toEqual([status]);
    expect(new ErrorClass({ status })).toBeInstanceOf(APIError);
  });

  it("has no class for a status the server never sends", () => {
    expect(new Set(statusClasses)).toEqual(new Set(serverStatuses.map(classFor)));
    expect(serverStatuses).not.toContain(422);
    expect(classFor(422)).toBe(APIError);
  });
});
