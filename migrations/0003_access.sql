-- Accounts, API keys and daily usage history for the public API.
-- Keys are stored only as SHA-256 digests plus a short display start: no column holds a plaintext key.

CREATE TABLE accounts (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email text NOT NULL,
  name text NOT NULL DEFAULT '',
  -- Tiers live in configuration (RAPFS_TIERS), so the database does not pin their names.
  tier text NOT NULL DEFAULT 'free',
  disabled_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT accounts_email_normalized CHECK (email = lower(btrim(email)))
);
CREATE UNIQUE INDEX accounts_email ON accounts (email);

CREATE TABLE api_keys (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  key_hash text NOT NULL,
  display_prefix text NOT NULL,
  name text NOT NULL DEFAULT '',
  scopes text[] NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  expires_at timestamptz,
  revoked_at timestamptz,
  -- Set on rotation; the old key keeps working until its expires_at (the grace period).
  replaced_by uuid REFERENCES api_keys (id),
  CONSTRAINT api_keys_hash_is_sha256_hex CHECK (key_hash ~ '^[0-9a-f]{64}$')
);
-- Every authenticated request looks its key up by digest.
CREATE UNIQUE INDEX api_keys_key_hash ON api_keys (key_hash);
CREATE INDEX api_keys_account ON api_keys (account_id, created_at);

CREATE TABLE usage_daily (
  account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  day date NOT NULL,
  requests bigint NOT NULL DEFAULT 0,
  rows bigint NOT NULL DEFAULT 0,
  downloads bigint NOT NULL DEFAULT 0,
  rejected bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (account_id, day)
);
