import { randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { CopyBinaryReader, copyBinary, type FieldSink } from "../../db/copy-binary";
import type { Sql } from "../../db/database";
import { isPgliteOverWire } from "../../db/pglite-over-wire";
import { copyOut } from "../snapshot/copy-out";

/** What a stored file's responses say about it, known before its first byte. */
export type FileMeta = Record<string, unknown>;

export type Production<M extends FileMeta> = {
  write(chunk: Uint8Array): Promise<void>;
  /** Called once the file's metadata is known, before its first byte. */
  started(meta: M): void;
  signal: AbortSignal;
  /** Encodes the file: writes its bytes through `write` and calls `started` before the first. */
  encode(write: (chunk: Uint8Array) => Promise<void>, started: (meta: M) => void): Promise<void>;
};

/** Where encoded files are kept for other processes: a file is encoded once, wherever asked. */
export interface SharedFiles {
  produce<M extends FileMeta>(key: string, production: Production<M>): Promise<void>;
}

/** One process (the embedded default): its spool is the only place a file is kept. */
export const localFiles: SharedFiles = {
  produce: (_key, p) => p.encode(p.write, p.started),
};

const CHUNK_BYTES = 1 << 20;
const STALE_CLAIM_SECONDS = 60;
const POLL_MS = 200;

/**
 * Server processes share encoded files in the database: the first to ask claims the file and
 * stores its bytes in 1 MiB chunks as it encodes them; the others wait for it and replay the
 * chunks instead of reading the dataset again. A claim a dead process left is taken over once
 * stale; a failed encoding leaves nothing. Files are dropped `ttlSeconds` after they were made.
 *
 * Chunks go both ways by binary COPY: as a bytea parameter or result each MiB became 2 MiB of
 * hex text built and measured on the event loop (1.1 s of a process's 30 s under four free keys'
 * distinct downloads).
 */
export class DatabaseFiles implements SharedFiles {
  private readonly me = randomUUID();
  private copyIn: Promise<boolean> | undefined;

  constructor(
    private readonly sql: Sql,
    private readonly ttlSeconds: number,
  ) {}

  async produce<M extends FileMeta>(key: string, p: Production<M>): Promise<void> {
    for (;;) {
      p.signal.throwIfAborted();
      const [row] = await this.sql<{ meta: M | null; done: boolean }[]>`
        select meta, completed_at is not null as done from rapfs_dataset_files where key = ${key}`;
      if (row?.done && row.meta) return this.replay(key, row.meta, p);
      if (await this.claim(key)) return this.encode(key, p);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  /** Files older than the TTL, and claims a dead process left. */
  async sweep(): Promise<void> {
    await this.sql`
      delete from rapfs_dataset_files
      where coalesce(completed_at, claimed_at) < now() - make_interval(secs => ${this.ttlSeconds})`;
  }

  private async claim(key: string): Promise<boolean> {
    const rows = await this.sql`
      insert into rapfs_dataset_files (key, claimed_by) values (${key}, ${this.me})
      on conflict (key) do update set claimed_by = excluded.claimed_by, claimed_at = now()
        where rapfs_dataset_files.completed_at is null
          and rapfs_dataset_files.claimed_at < now() - make_interval(secs => ${STALE_CLAIM_SECONDS})
      returning key`;
    if (rows.length > 0) await this.sql`delete from rapfs_dataset_file_chunks where key = ${key}`;
    return rows.length > 0;
  }

  private async replay<M extends FileMeta>(key: string, meta: M, p: Production<M>): Promise<void> {
    p.started(meta);
    for (let n = 0; ; n++) {
      p.signal.throwIfAborted();
      const chunk = await this.readChunk(key, n);
      if (!chunk) return;
      await p.write(chunk);
    }
  }

  /**
   * One stored chunk, whole, before it is written on: the connection is free again while a slow
   * client takes it (a COPY of the whole file would hold it for the client's pace).
   */
  private async readChunk(key: string, n: number): Promise<Uint8Array | undefined> {
    const chunks = new ChunkSink();
    const reader = new CopyBinaryReader([chunks]);
    const readable = await copyOut(
      this.sql,
      `copy (select data from rapfs_dataset_file_chunks where key = ${literal(key)} and n = ${n}) to stdout (format binary)`,
    );
    for await (const bytes of readable) {
      reader.push(bytes as Buffer);
      reader.read(Number.POSITIVE_INFINITY);
    }
    reader.end();
    return chunks.take()[0];
  }

  /** PGlite reached over the wire (a test stack's shared database) takes no COPY FROM STDIN. */
  private takesCopyIn(): Promise<boolean> {
    this.copyIn ??= isPgliteOverWire(this.sql).then((pglite) => !pglite);
    return this.copyIn;
  }

  private async storeChunk(key: string, n: number, data: Uint8Array): Promise<void> {
    if (!(await this.takesCopyIn())) {
      await this.sql`insert into rapfs_dataset_file_chunks (key, n, data) values (${key}, ${n}, ${data})`;
      return;
    }
    const row = copyBinary([{ key, n, data }], ["key", "n", "data"], {
      key: "text",
      n: "int4",
      data: "bytea",
    });
    // In a transaction, on a connection of its own: postgres.js pipelines other queries onto a
    // pooled connection, and one sent while it is copying fails (COPY_IN_PROGRESS).
    await this.sql.begin(async (tx) => {
      const copy = await tx
        .unsafe("copy rapfs_dataset_file_chunks (key, n, data) from stdin (format binary)")
        .writable();
      await pipeline(Readable.from([row]), copy);
    });
  }

  private async encode<M extends FileMeta>(key: string, p: Production<M>): Promise<void> {
    let meta: M | undefined;
    let held: Uint8Array[] = [];
    let heldBytes = 0;
    let bytes = 0;
    let n = 0;
    const store = async () => {
      if (heldBytes === 0) return;
      const data = Buffer.concat(held);
      held = [];
      heldBytes = 0;
      await this.storeChunk(key, n++, data);
    };
    try {
      await p.encode(
        async (chunk) => {
          await p.write(chunk);
          held.push(chunk);
          heldBytes += chunk.byteLength;
          bytes += chunk.byteLength;
          if (heldBytes >= CHUNK_BYTES) await store();
        },
        (value) => {
          meta = value;
          p.started(value);
        },
      );
      await store();
      await this.sql`
        update rapfs_dataset_files set meta = ${this.sql.json(meta as never)}, bytes = ${bytes}, completed_at = now()
        where key = ${key} and claimed_by = ${this.me}`;
    } catch (error) {
      await this.sql`delete from rapfs_dataset_files where key = ${key} and claimed_by = ${this.me}`.catch(
        () => {},
      );
      throw error;
    }
  }
}

/** Each bytea field read, as its own bytes (the reader's buffer is reused). */
class ChunkSink implements FieldSink {
  private chunks: Uint8Array[] = [];
  add(_view: DataView, bytes: Uint8Array, start: number, length: number): void {
    this.chunks.push(bytes.slice(start, start + length));
  }
  take(): Uint8Array[] {
    const taken = this.chunks;
    this.chunks = [];
    return taken;
  }
}

/** A file key as an SQL literal (COPY takes no parameters): keys are hex digests, checked here. */
function literal(key: string): string {
  if (!/^[\w:.@-]+$/.test(key)) throw new Error(`not a file key: ${key}`);
  return `'${key}'`;
}
