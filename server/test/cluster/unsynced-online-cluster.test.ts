import { describeRefusedSync } from "../freshness/unsynced-online";
import { startRedisCluster } from "./redis-cluster";

// The plain Redis case: freshness/unsynced-online.test.ts.
describeRefusedSync("a 3-master Redis Cluster", async () => {
  const cluster = await startRedisCluster();
  return {
    url: cluster.url,
    masters: cluster.ports.map((port) => `redis://127.0.0.1:${port}`),
    stop: () => cluster.stop(),
  };
});
