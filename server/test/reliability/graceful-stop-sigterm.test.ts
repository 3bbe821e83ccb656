import { describeGracefulStop } from "./graceful-stop";

describeGracefulStop("SIGTERM");
