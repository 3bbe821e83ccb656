import { setPriority } from "node:os";

/**
 * The nice value bulk work runs at: when a request-serving thread (nice 0) and a bulk one both
 * want a core, the scheduler gives the bulk one about a tenth of it; an idle core is still all its.
 */
export const BULK_NICE = 10;

/**
 * Lowers the calling worker thread's CPU priority to BULK_NICE, so an encoding never takes a core
 * from the threads answering requests, this process's or another's on the same machine. Linux
 * keeps a nice value per thread, so no other thread is touched; elsewhere the call would lower
 * the whole process, so it is skipped there. A lowered thread cannot raise itself again: the
 * worker keeps its priority for the files it encodes after.
 */
export function runAsBulkWork(): boolean {
  if (process.platform !== "linux") return false;
  try {
    setPriority(BULK_NICE);
    return true;
  } catch {
    return false;
  }
}
