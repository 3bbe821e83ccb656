import { parsePathId } from "../../serving";
import type { Services } from "../env";
import type { SelectionInput } from "../routes/features/schemas";

/** What GET /v1/features/{entity}/{id} asks for, as its path and query give it. */
export type LookupRequest = { entity: string; id: string; selection: SelectionInput };

/** A lookup that passed every check, to be read once the quota allows it. */
export type FeatureLookup = {
  /** The Deprecation/Sunset/Link headers of the view versions it reads. */
  headers: Record<string, string>;
  /** Reads the values: the FeatureVector body as JSON text. */
  read(): Promise<string>;
};

/**
 * GET /v1/features/{entity}/{id} for both of its doors, the route and the lookup lane. Checks
 * now (an unknown entity, feature or id throws its problem before anything is read or spent)
 * and reads on `read()`, so the lane can spend the quota in between.
 */
export async function lookupFeatures(services: Services, request: LookupRequest): Promise<FeatureLookup> {
  // Read per request, not kept: tests replace the serving services of a running server.
  const { serving, featureCodec } = services;
  const resolution = await serving.features.resolve(
    request.entity,
    featureCodec.selection(request.selection, "query"),
  );
  const id = parsePathId(resolution.entity, request.id);
  return {
    headers: resolution.headers,
    read: async () =>
      featureCodec.featureVectorJson(request.entity, await serving.features.read(resolution, [id])),
  };
}
