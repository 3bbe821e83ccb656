import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { type FileHandle, open, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DomainError } from "../../errors";
import { SlotLine } from "./slot-line";
import { spoolDirPrefix } from "./spool-sweep";

export type SpoolJob = {
  readonly id: string;
  readonly path: string;
  /** What the file holds (request, data version): everyone asking for it reads this job. */
  readonly fileKey: string;
  etag: string | undefined;
  written: number;
  state: "running" | "done" | "failed";
  error?: unknown;
  /** What a resumed response needs to say about the file (rows, version, name). */
  meta?: { rows: number | undefined; version: string; filename: string };
  /** When a finished job's file is removed (unset while it runs). */
  expiresAt?: number;
  /** Its rows, once counted (or known), settled before its first row is written; rejects if it fails. */
  counted?: Promise<number | undefined>;
  /** The bytes written before its rows were counted: its head, which needs no row charged to be read. */
  headBytes?: number;
};

type Entry = SpoolJob & {
  wake: () => void;
  changed: Promise<void>;
  started: Promise<unknown>;
  /** Requests still waiting for or reading the job; the work stops when the last goes away. */
  followers: number;
  abort: AbortController;
  /** Streams reading its file now: a file being read is never evicted. */
  readers: number;
  /** When a request last asked for it (uses), in order: the least recently used kept file is evicted first. */
  usedAt: number;
  /**
   * What a file everybody shares is, whatever its data version (see `open`'s `sharedAs`), while it
   * is the newest of it: kept outside the byte bound, never evicted for room.
   */
  sharedAs?: string;
};

/** Counted toward RAPFS_SPOOL_MAX_BYTES: every file but the newest of each shared download. */
const bounded = (job: Entry) => job.sharedAs === undefined;

export type SpoolRun<S> = (
  write: (chunk: Uint8Array) => Promise<void>,
  started: (etag: string, value: S) => void,
  signal: AbortSignal,
) => Promise<void>;

/** A download slot taken ahead of the work that will use it (see DownloadSpool.reserve). */
export type SlotReservation = {
  /** Gives the slot back unless open or admit took it over. */
  release(): void;
  /** Takes the slot over for the work: true once, false after a release. */
  handOver(): boolean;
  /** The account it is counted against (undefined: the server's own work). */
  readonly owner: string | undefined;
};

/**
 * The owner of shared files' encodings (spool.open's `sharedAs`): they go on after the caller
 * that started them leaves, so no account holds them, but one key asking for every preview limit
 * at once must not hold every slot with them either.
 */
const SHARED_FILES = "shared public files";

/**
 * Encoded downloads are written here at database speed, and responses read them back at the
 * client's speed. The snapshot transaction (and, embedded, PGlite's single connection) is held
 * only as long as reading and encoding take, never as long as a slow client; a client that
 * drops off can resume from the same bytes for `ttlSeconds`.
 */
export class Spool {
  private readonly jobs = new Map<string, Entry>();
  private uses = 0;
  private running = 0;
  /** Slots each account holds now: none may hold more than its share (takeSlot). */
  private readonly held = new Map<string, number>();
  private directory: string | undefined;
  private readonly ttlSeconds: number;
  private readonly maxRunning: number;
  /** Requests waiting for a slot, served in order as slots come free. */
  private readonly line: SlotLine<SlotReservation>;

  constructor(
    private readonly options: {
      parentDir: string;
      ttlSeconds: number;
      maxRunning: number;
      /**
       * A new download is refused while the kept and running files hold this many bytes (0: no
       * bound); the newest file of each shared download (open's `sharedAs`) is kept on top of it.
       */
      maxBytes?: number;
      /** How long a request waits in line for a slot (reserveInTurn, openInTurn) before its 503 (default 0). */
      slotWaitMs?: number;
    },
  ) {
    this.ttlSeconds = options.ttlSeconds;
    this.maxRunning = options.maxRunning;
    this.line = new SlotLine({
      waiting: 4 * options.maxRunning,
      perOwner: 4,
      waitMs: options.slotWaitMs ?? 0,
    });
  }

  /** Download slots taken now (running downloads, cards and reservations). */
  /** Orders the uses of files: two in the same millisecond still have an order (Date.now() ties did not). */
  private use(): number {
    return ++this.uses;
  }

  get busySlots(): number {
    return this.running;
  }

  /** Requests waiting in line for a slot now. */
  get waitingForSlots(): number {
    return this.line.length;
  }

  /** Bytes of encoded downloads this process keeps on disk now, running ones included. */
  get bytes(): number {
    return this.bytesOf(() => true);
  }

  /**
   * For /ready: the parent directory takes a file (a full or read-only volume does not), and the
   * spool is under its byte bound.
   */
  async check(): Promise<void> {
    const probe = join(this.options.parentDir, `.rapfs-ready-${process.pid}-${randomUUID()}`);
    await writeFile(probe, "ok");
    await rm(probe, { force: true });
    const max = this.options.maxBytes ?? 0;
    if (max > 0 && this.pinnedBytes >= max) throw new Error(this.fullMessage(max));
  }

  /** Bytes under the bound: every file but the newest of each shared download. */
  get boundedBytes(): number {
    return this.bytesOf(bounded);
  }

  /** Bytes under the bound no new file can take: those of files being written or read (kept idle ones can go). */
  private get pinnedBytes(): number {
    return this.bytesOf((job) => bounded(job) && (job.state === "running" || job.readers > 0));
  }

  private bytesOf(counted: (job: Entry) => boolean): number {
    let total = 0;
    for (const job of this.jobs.values()) if (counted(job)) total += job.written;
    return total;
  }

  /**
   * Room for a new file: kept files nobody is reading go, least recently used first, before a
   * new file is refused (so one key's distinct downloads cannot lock everyone out for their
   * TTL); refused only while running and read files alone fill the spool. The newest file of a
   * shared download is not evicted: the next caller would encode it again, and CSV and NDJSON
   * limits are read from it (with an 8 MiB bound, every such limit of four free keys re-encoded
   * the whole public file on the event loop).
   */
  private checkRoom(refuse = true): void {
    const max = this.options.maxBytes ?? 0;
    if (max <= 0 || this.boundedBytes < max) return;
    const idle = [...this.jobs.values()]
      .filter((j) => j.state === "done" && j.readers === 0 && bounded(j))
      .sort((a, b) => a.usedAt - b.usedAt);
    for (const job of idle) {
      if (this.boundedBytes < max) return;
      this.remove(job);
    }
    if (this.boundedBytes < max || !refuse) return;
    const now = Date.now();
    const expiries = [...this.jobs.values()].flatMap((j) => (j.expiresAt ? [j.expiresAt - now] : []));
    // The first kept file to go frees room; with only running ones, a guess of a few seconds.
    const soonest = expiries.length > 0 ? Math.min(...expiries) : 5_000;
    throw new DomainError("UNAVAILABLE", `${this.fullMessage(max)}; retry shortly.`, {
      retryAfterSeconds: Math.max(1, Math.ceil(soonest / 1000)),
    });
  }

  private fullMessage(max: number): string {
    return `The download spool is full (${this.boundedBytes} bytes kept, RAPFS_SPOOL_MAX_BYTES ${max})`;
  }

  /** Made on first use, so a process that never serves a download leaves no directory behind. */
  get dir(): string {
    this.directory ??= mkdtempSync(join(this.options.parentDir, spoolDirPrefix()));
    return this.directory;
  }

  /**
   * A download slot (and room in the spool) taken now, before anything is charged: when all are
   * busy this is the 503, and the caller has spent nothing. `open` and `admit` use it instead of
   * taking one of their own; `release` gives it back if neither did (idempotent).
   */
  reserve(owner?: string, refuseWhenFull = true): SlotReservation {
    this.checkRoom(refuseWhenFull);
    this.takeSlot(owner);
    let held = true;
    const give = () => {
      const had = held;
      held = false;
      return had;
    };
    return {
      release: () => {
        if (give()) this.giveSlot(owner);
      },
      handOver: give,
      owner,
    };
  }

  /**
   * `reserve`, in turn: at once when a slot is free for `owner` and nobody waits before it;
   * otherwise in line behind those who came first (SlotLine), for up to a few seconds, then the
   * 503 `reserve` gives. Leaves the line when `signal` aborts (its client went away).
   */
  reserveInTurn(
    owner: string | undefined,
    options: { signal?: AbortSignal | undefined; refuseWhenFull?: boolean } = {},
  ): Promise<SlotReservation> {
    const turn = this.line.join(owner, () => this.reserve(owner, options.refuseWhenFull), options.signal);
    this.serveLine();
    return turn;
  }

  /** `reserve`, when a slot is free for `owner` now and nobody waits before it; else undefined. */
  reserveIfFree(owner: string | undefined): SlotReservation | undefined {
    if (this.line.length > 0 || this.refusalFor(owner)) return undefined;
    return this.reserve(owner);
  }

  /**
   * `open`, with the slot a new file needs taken in turn (`reserveInTurn`); a file already running
   * or kept needs none, and is opened at once.
   */
  async openInTurn<S>(
    fileKey: string,
    run: SpoolRun<S>,
    take: { owner?: string; sharedAs?: string },
    signal?: AbortSignal,
  ): Promise<{ job: SpoolJob; started: Promise<S> }> {
    const owner = take.owner ?? (take.sharedAs !== undefined ? SHARED_FILES : undefined);
    const slot = this.existing(fileKey)
      ? undefined
      : await this.reserveInTurn(owner, { signal, refuseWhenFull: take.sharedAs === undefined });
    try {
      return this.open(fileKey, run, slot ? { ...take, slot } : take);
    } finally {
      slot?.release();
    }
  }

  /** Whether a job for `fileKey` runs or is kept: a request for it needs no slot. */
  has(fileKey: string): boolean {
    return [...this.jobs.values()].some((j) => j.fileKey === fileKey && j.state !== "failed");
  }

  /** The job a request for `fileKey` reads now: running (and followed) or kept. */
  private existing(fileKey: string): Entry | undefined {
    return [...this.jobs.values()].find(
      (j) => j.fileKey === fileKey && j.state !== "failed" && !j.abort.signal.aborted,
    );
  }

  /**
   * Runs other whole-dataset work (a dataset card's statistics) in a download slot: it costs the
   * database what a download does, so it waits its turn the same way (503 when all are taken).
   */
  async admit<T>(work: () => Promise<T>, slot: SlotReservation = this.reserve()): Promise<T> {
    const owned = slot.handOver();
    try {
      return await work();
    } finally {
      if (owned) this.giveSlot(slot.owner);
    }
  }

  /**
   * A slot for `owner`'s work. Shared fairly: an account holds at most half of them (rounded up),
   * and the last free one goes only to an account that holds none, so one account's cards and
   * downloads (abandoned or not) never lock the others out.
   */
  private takeSlot(owner: string | undefined): void {
    const refusal = this.refusalFor(owner);
    if (refusal) throw refusal;
    this.running++;
    if (owner !== undefined) this.held.set(owner, (this.held.get(owner) ?? 0) + 1);
  }

  /** Why `owner` cannot take a slot now, or undefined when it can. */
  private refusalFor(owner: string | undefined): DomainError | undefined {
    const holding = owner === undefined ? 0 : (this.held.get(owner) ?? 0);
    const share = Math.ceil(this.maxRunning / 2);
    if (holding >= share || (holding > 0 && this.running + 1 >= this.maxRunning)) {
      const who =
        owner === SHARED_FILES ? "Shared public files already take" : "This account already prepares";
      return new DomainError(
        "UNAVAILABLE",
        `${who} ${holding} of the ${this.maxRunning} downloads this server prepares at once; retry once one is done.`,
        { retryAfterSeconds: 5 },
      );
    }
    if (this.running >= this.maxRunning) {
      return new DomainError("UNAVAILABLE", "Too many downloads are being prepared; retry shortly.", {
        retryAfterSeconds: 5,
      });
    }
    return undefined;
  }

  private serveLine(): void {
    if (this.line.length > 0) this.line.serve((owner) => this.refusalFor(owner) === undefined);
  }

  private giveSlot(owner: string | undefined): void {
    this.running--;
    if (owner !== undefined) {
      const holding = (this.held.get(owner) ?? 1) - 1;
      if (holding > 0) this.held.set(owner, holding);
      else this.held.delete(owner);
    }
    this.serveLine();
  }

  /**
   * The job encoding `fileKey`: the one running or kept for it (no new work, no slot), or a new
   * one. Resolves `started` with what `run` passed to `started`, or rejects if it failed before.
   */
  open<S>(
    fileKey: string,
    run: SpoolRun<S>,
    take: {
      slot?: SlotReservation;
      owner?: string;
      /**
       * What a file everybody shares (the public quick start, whole or a preview) is, whatever its
       * data version: made room for, never refused for want of it, and kept outside the bound
       * until a newer version of it is made (which becomes an ordinary kept file then).
       */
      sharedAs?: string;
    } = {},
  ): { job: SpoolJob; started: Promise<S> } {
    const { slot } = take;
    // Shared files are nobody's and everybody's: together they hold at most an account's share.
    const owner = slot
      ? slot.owner
      : (take.owner ?? (take.sharedAs !== undefined ? SHARED_FILES : undefined));
    // A job its clients all left is stopping: a retry arriving meanwhile starts afresh, not a 503.
    const existing = this.existing(fileKey);
    if (existing) {
      existing.usedAt = this.use();
      return { job: existing, started: existing.started as Promise<S> };
    }
    // An older version of a shared file is an ordinary kept file from now on: the first to go.
    if (take.sharedAs !== undefined)
      for (const older of this.jobs.values())
        if (older.sharedAs === take.sharedAs) older.sharedAs = undefined;
    if (!slot) this.checkRoom(take.sharedAs === undefined);
    // The entry first: its directory may fail (a spool parent removed or unwritable), and a slot
    // taken before it would never be given back.
    const job = this.entry(randomUUID(), fileKey);
    job.sharedAs = take.sharedAs;
    if (!slot?.handOver()) this.takeSlot(owner);
    this.jobs.set(job.id, job);
    let resolveStarted!: (value: S) => void;
    let rejectStarted!: (error: unknown) => void;
    const started = new Promise<S>((res, rej) => {
      resolveStarted = res;
      rejectStarted = rej;
    });
    started.catch(() => {});
    job.started = started;
    void (async () => {
      let handle: FileHandle | undefined;
      try {
        handle = await open(job.path, "w");
        const file = handle;
        await run(
          async (chunk) => {
            await file.write(chunk);
            job.written += chunk.byteLength;
            job.wake();
          },
          (etag, value) => {
            job.etag = etag;
            resolveStarted(value);
          },
          job.abort.signal,
        );
        if (job.etag === undefined) throw new Error("the download finished without starting");
        job.state = "done";
      } catch (error) {
        job.state = "failed";
        job.error = error;
        rejectStarted(error);
      } finally {
        this.giveSlot(owner);
        await handle?.close().catch(() => {});
        job.wake();
        this.expire(job, job.state === "failed" ? 0 : this.ttlSeconds * 1000);
      }
    })();
    return { job, started };
  }

  /**
   * A request waits for or reads `job` until `signal` aborts (its client went away): when every
   * request following a running job has gone, the job's work is aborted, unless it is `kept`
   * (a file shared by everyone: written to its end for the next caller, a timed-out client's
   * retry among them).
   */
  follow(job: SpoolJob, signal: AbortSignal, kept = false): void {
    const entry = this.jobs.get(job.id);
    if (entry?.state !== "running") return;
    entry.followers++;
    const leave = () => {
      entry.followers--;
      if (entry.followers <= 0 && entry.state === "running" && !kept) {
        entry.abort.abort(new DomainError("UNAVAILABLE", "Every client of this download went away."));
      }
    };
    if (signal.aborted) leave();
    else signal.addEventListener("abort", leave, { once: true });
  }

  /** The newest finished job of a request, if it is still kept (and has this ETag, when given). */
  resumable(fileKey: string, etag?: string): SpoolJob | undefined {
    const candidates = [...this.jobs.values()].filter(
      (j) => j.fileKey === fileKey && j.state === "done" && (etag === undefined || j.etag === etag),
    );
    const job = candidates.at(-1);
    if (job) job.usedAt = this.use();
    return job;
  }

  /** Waits for a job to finish (or fail). */
  async settled(job: SpoolJob): Promise<void> {
    const entry = this.jobs.get(job.id);
    while (entry && entry.state === "running") await entry.changed;
  }

  /** The job's bytes from `start` to `end` (inclusive), following the file while it is written. */
  read(job: SpoolJob, start = 0, end?: number): ReadableStream<Uint8Array> {
    const entry = this.jobs.get(job.id) ?? (job as Entry);
    let position = start;
    let handle: FileHandle | undefined;
    entry.readers++;
    entry.usedAt = this.use();
    let reading = true;
    const finish = async () => {
      if (reading) entry.readers--;
      reading = false;
      await handle?.close().catch(() => {});
      handle = undefined;
    };
    return new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          try {
            await pullInto(controller);
          } catch (error) {
            // A file that cannot be opened or read: its handle closed and its reader gone now,
            // not at garbage collection (a reader left counted keeps the file from eviction).
            await finish();
            controller.error(error);
          }
        },
        cancel: finish,
      },
      { highWaterMark: 0 },
    );
    async function pullInto(controller: ReadableStreamDefaultController<Uint8Array>) {
      if (!handle) {
        const opened = await open(entry.path, "r");
        // Cancelled while the file was opening: its finish found no handle to close.
        if (!reading) return void (await opened.close().catch(() => {}));
        handle = opened;
      }
      const limit = end === undefined ? Number.POSITIVE_INFINITY : end + 1;
      for (;;) {
        if (position >= limit) break;
        if (position < entry.written) {
          const size = Math.min(256 * 1024, entry.written - position, limit - position);
          const buffer = Buffer.allocUnsafe(size);
          const { bytesRead } = await handle.read(buffer, 0, size, position);
          if (!reading) return;
          position += bytesRead;
          controller.enqueue(new Uint8Array(buffer.buffer, buffer.byteOffset, bytesRead));
          return;
        }
        if (entry.state === "failed") {
          await finish();
          controller.error(entry.error);
          return;
        }
        if (entry.state === "done") break;
        await entry.changed;
        if (!reading) return;
      }
      await finish();
      controller.close();
    }
  }

  async close(): Promise<void> {
    this.jobs.clear();
    if (this.directory) await rm(this.directory, { recursive: true, force: true });
  }

  private entry(id: string, fileKey: string): Entry {
    const entry = {
      id,
      path: join(this.dir, id),
      fileKey,
      etag: undefined,
      written: 0,
      state: "running",
      followers: 0,
      abort: new AbortController(),
      readers: 0,
      usedAt: this.use(),
    } as Entry;
    const arm = () => {
      entry.changed = new Promise((resolve) => {
        entry.wake = () => {
          arm();
          resolve();
        };
      });
    };
    arm();
    return entry;
  }

  private remove(job: SpoolJob): void {
    if (this.jobs.get(job.id) === job) this.jobs.delete(job.id);
    void rm(job.path, { force: true }).catch(() => {});
  }

  private expire(job: SpoolJob, afterMs: number): void {
    const remove = () => this.remove(job);
    if (afterMs <= 0) remove();
    else {
      job.expiresAt = Date.now() + afterMs;
      setTimeout(remove, afterMs).unref();
    }
  }
}
