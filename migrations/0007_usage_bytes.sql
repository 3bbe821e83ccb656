-- Bytes the account's downloads sent that day (the `bytes` quota).
ALTER TABLE usage_daily ADD COLUMN bytes bigint NOT NULL DEFAULT 0;
