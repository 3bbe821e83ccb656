/**
 * An optional parameter's example that Scalar's "try it" sends on the first Send: it leaves an
 * optional parameter off unless the example named `default` says `x-disabled: false`, and one
 * left off where the route needs it (`features` or `service`) made the first Send a 400.
 * Spread into a parameter's `param` metadata.
 */
export function sentByTryIt(value: unknown, summary?: string) {
  return { examples: { default: { ...(summary ? { summary } : {}), value, "x-disabled": false } } };
}
