-- The key that created this one through POST /v1/keys (null for signup, admin and rotation
-- roots): a created key expires no later than its creator, and revoking a key revokes the
-- keys it made, transitively, unless asked not to.
ALTER TABLE api_keys ADD COLUMN created_by uuid REFERENCES api_keys (id);
CREATE INDEX api_keys_created_by ON api_keys (created_by) WHERE created_by IS NOT NULL;
