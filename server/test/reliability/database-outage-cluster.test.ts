import { describeOutage } from "./database-outage";

describeOutage("cluster");
