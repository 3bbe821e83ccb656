import { describeGracefulStop } from "./graceful-stop";

describeGracefulStop("SIGINT");
