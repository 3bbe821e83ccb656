-- A public dataset is downloadable whole on any tier: its downloads spend downloads and bytes
-- per day, not entity rows (docs/api.md, "Quotas").
ALTER TABLE rapfs_datasets ADD COLUMN public boolean NOT NULL DEFAULT false;
