import type { DatasetServices } from "../../../datasets/services";
import type { App } from "../../env";
import { registerCard } from "./card";
import { registerDownload } from "./download";
import { registerTraining } from "./training";

/** Bulk datasets: downloads, cards and point-in-time training data, over the given services. */
export function datasetRoutes(datasets: DatasetServices): Array<(app: App) => void> {
  // Training first: POST /v1/datasets/training must not be taken for a dataset named "training".
  return [registerTraining(datasets), registerDownload(datasets), registerCard(datasets)];
}
