import type { RegisterRoutes } from "../../env";
import { registerCard } from "./card";
import { registerDownload } from "./download";
import { registerTraining } from "./training";

/** Bulk datasets: downloads, cards and point-in-time training data. */
// Training first: POST /v1/datasets/training must not be taken for a dataset named "training".
export const datasetRoutes: RegisterRoutes[] = [registerTraining, registerDownload, registerCard];
