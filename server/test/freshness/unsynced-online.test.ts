import { startPrivateRedis } from "../online/redis-harness";
import { describeRefusedSync } from "./unsynced-online";

// On a Redis of the test's own: its memory limit is changed. The Cluster's: cluster/unsynced-online-cluster.test.ts.
describeRefusedSync("Redis", async () => {
  const redis = await startPrivateRedis();
  return { url: redis.url, masters: [redis.url], stop: () => redis.kill() };
});
