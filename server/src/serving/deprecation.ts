import { type CatalogState, type CatalogView, latestVersion } from "./catalog";

/** The moment a deprecated version stops being served: the end of its sunset date (UTC). */
export function sunsetInstant(view: CatalogView): Date | undefined {
  if (view.status !== "deprecated" || !view.sunsetDate) return undefined;
  return new Date(Date.parse(`${view.sunsetDate}T00:00:00Z`) + 86_400_000);
}

export function isGone(view: CatalogView, now: number): boolean {
  if (view.status === "retired") return true;
  const sunset = sunsetInstant(view);
  return sunset !== undefined && now >= sunset.getTime();
}

export const viewVersionPath = (name: string, version: number) =>
  `/v1/registry/views/${encodeURIComponent(name)}/versions/${version}`;

/**
 * Headers announcing deprecated view versions in an answer: `Deprecation` (RFC 9745, when the
 * earliest was deprecated, as `@epoch-seconds`), `Sunset` (RFC 8594, the earliest sunset as an
 * HTTP-date) and `Link`s to each version's registry page and to its successor.
 */
export function deprecationHeaders(deprecated: CatalogView[], state: CatalogState): Record<string, string> {
  if (deprecated.length === 0) return {};
  const since = Math.min(...deprecated.map((v) => v.updatedAt.getTime()));
  const sunsets = deprecated
    .map((v) => sunsetInstant(v)?.getTime())
    .filter((t): t is number => t !== undefined);
  const links: string[] = [];
  for (const view of deprecated) {
    const self = viewVersionPath(view.name, view.version);
    links.push(`<${self}>; rel="deprecation"`);
    const successor = successorOf(view, state);
    if (successor) {
      links.push(
        `<${viewVersionPath(successor.name, successor.version)}>; rel="successor-version"; anchor="${self}"`,
      );
    }
  }
  return {
    Deprecation: `@${Math.floor(since / 1000)}`,
    ...(sunsets.length > 0 ? { Sunset: new Date(Math.min(...sunsets)).toUTCString() } : {}),
    Link: links.join(", "),
  };
}

/** The latest servable version above this one, if any. */
export function successorOf(view: CatalogView, state: CatalogState): CatalogView | undefined {
  const versions = state.views.get(view.name);
  const latest = versions ? latestVersion(versions) : undefined;
  return latest && latest.version > view.version ? latest : undefined;
}
