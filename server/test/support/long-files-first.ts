import { relative } from "node:path";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * Files that take longest, each within its project, by their time in CI (2026-11-28): mostly
 * waiting on a fault, a slowed database or a child process. Started first, their waits overlap
 * the other files' work; started last (vitest runs an unknown file's larger sources first), one
 * of them was alone at the end of its phase with the cores idle. A file missing here only runs
 * in vitest's own order.
 */
const LONG_FILES = [
  "test/reliability/database-outage-cluster.test.ts",
  "test/reliability/database-outage-redis.test.ts",
  "test/reliability/restored-data.test.ts",
  "test/reliability/graceful-stop-sigterm.test.ts",
  "test/reliability/graceful-stop-sigint.test.ts",
  "test/reliability/absent-rows-outage.test.ts",
  "test/datasets/first-download.test.ts",
  "test/serving/search/hnsw.test.ts",
  "test/live/notebooks.test.ts",
  "test/package.test.ts",
  "test/freshness/removed-online.test.ts",
  "test/console/console.test.ts",
  "test/console/docs-page.test.ts",
  "test/fuzz/definitions.test.ts",
  "test/live/docs.test.ts",
  "test/db/work-classes.test.ts",
  "test/access-http/restart-quota.test.ts",
  "test/datasets/concurrent-jobs.test.ts",
];

/** vitest's order, with each project's LONG_FILES moved to its front, in the order listed. */
export default class LongFilesFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const order = await super.sort(files);
    const at = new Map(order.map((file, i) => [file, i]));
    const block = (file: TestSpecification) =>
      `${file.project.config.sequence.groupOrder}:${file.project.name}`;
    const rank = (file: TestSpecification) => {
      const listed = LONG_FILES.indexOf(relative(file.project.config.root, file.moduleId));
      return listed < 0 ? LONG_FILES.length : listed;
    };
    return order.sort((a, b) => {
      if (block(a) !== block(b)) return (at.get(a) as number) - (at.get(b) as number);
      return rank(a) - rank(b) || (at.get(a) as number) - (at.get(b) as number);
    });
  }
}
