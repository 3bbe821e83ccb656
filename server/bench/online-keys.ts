/** Where the online benchmark stores the bare baselines' payloads, under the run's Redis prefix. */
export const bareKeys = (prefix: string) => ({
  one: `${prefix}:bare:one`,
  row: (id: number | string) => `${prefix}:bare:row:${id}`,
});
