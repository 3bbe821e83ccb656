import type { APIPromise } from "../core/api-promise";
import type { RequestOptions } from "../core/request-options";
import type { components } from "../generated/openapi";
import { APIResource, seg } from "./resource";

type Schemas = components["schemas"];
export type ApiKey = Schemas["ApiKey"];
export type CreatedApiKey = Schemas["CreatedApiKey"];
export type RotatedApiKey = Schemas["RotatedApiKey"];
export type CreateKeyParams = Schemas["CreateKeyRequest"];
export type RotateKeyParams = Schemas["RotateKeyRequest"];
export type Scope = Schemas["Scope"];
export type Usage = Schemas["Usage"];
export type SignupParams = Schemas["SignupRequest"];
export type SignupResponse = Schemas["SignupResponse"];

/**
 * The calling key's account's keys. `create` and `rotate` return the plaintext key once; they
 * are never retried, since a repeat would make a second key.
 */
export class Keys extends APIResource {
  /** Newest first, revoked and expired ones included; never the keys themselves. */
  list(options?: RequestOptions): APIPromise<ApiKey[]> {
    return this.client.get<Schemas["ApiKeyList"]>("/v1/keys", options)._thenUnwrap((b) => b.keys);
  }

  create(params: CreateKeyParams, options?: RequestOptions): APIPromise<CreatedApiKey> {
    return this.client.post("/v1/keys", { ...options, body: params });
  }

  /** A new key with the old one's name, scopes and expiry; the old one works for `grace_seconds`. */
  rotate(id: string, params: RotateKeyParams = {}, options?: RequestOptions): APIPromise<RotatedApiKey> {
    return this.client.post(`/v1/keys/${seg(id)}/rotate`, { ...options, body: params });
  }

  /** Revoking twice is not an error. */
  revoke(id: string, options?: RequestOptions): APIPromise<ApiKey> {
    return this.client.delete(`/v1/keys/${seg(id)}`, options);
  }
}
