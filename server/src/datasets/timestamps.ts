// Moved to the foundation (values/), where ingest/ and the CLI read it too; kept here so the
// datasets files need no edit while they are being reorganized.
export * from "../values/timestamps";
