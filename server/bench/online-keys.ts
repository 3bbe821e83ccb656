/** Where the online benchmark stores the bare baselines' payloads, under the run's Redis prefix. */
export const bareKeys = (prefix: string) => ({
  /** The whole single-lookup response as one string. */
  one: `${prefix}:bare:one`,
  /** The single lookup's response headers as rapfs sent them (JSON pairs), for the floor to send. */
  oneHeaders: `${prefix}:bare:one-headers`,
  /** The single lookup's 50 values as one hash: reference → that value's JSON. */
  oneHash: `${prefix}:bare:one-hash`,
  /** One batch row's values as a hash, per id. */
  rowHash: (id: number | string) => `${prefix}:bare:row-hash:${id}`,
});

/** A features object as hash fields: each reference with its value object's JSON. */
export const hashFields = (features: Record<string, unknown>): string[] =>
  Object.entries(features).flatMap(([ref, value]) => [ref, JSON.stringify(value)]);

/** The response JSON of a hash read back: the same bytes the server sends for these values. */
export function featuresJson(fields: Record<string, string>): string {
  let out = "{";
  for (const ref in fields) out += `${out.length > 1 ? "," : ""}${JSON.stringify(ref)}:${fields[ref]}`;
  return `${out}}`;
}
