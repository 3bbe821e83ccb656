-- Shared files are stored as encoded (Parquet is compressed already, and every file lives at most
-- RAPFS_SPOOL_TTL_SECONDS): compressing each 1 MiB chunk again cost the database's CPU on every
-- download while bystanders waited for it.
ALTER TABLE rapfs_dataset_file_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
