import { describeOutage } from "./database-outage";

describeOutage("redis");
