// `node --import` this file: every module the process loads is appended to the file named by
// RAPFS_IMPORTS_LOG, a URL a line (the hooks run on a thread of their own).
import { register } from "node:module";

register("./record-imports-hooks.mjs", import.meta.url, { data: { log: process.env.RAPFS_IMPORTS_LOG } });
