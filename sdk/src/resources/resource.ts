import type { RapFS } from "../client";

export abstract class APIResource {
  constructor(protected readonly client: RapFS) {}
}

/** A path segment, escaped (artist ids are names and may hold `/`, `?` or spaces). */
export const seg = (value: string | number): string => encodeURIComponent(String(value));
