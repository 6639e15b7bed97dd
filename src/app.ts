// Composition root: the only module that imports every room (its parts live in app/).
export { randomChooser } from './app/chooser.ts';
export { loadData, type LoadedData, loadGeoDir, loadZoneDir } from './app/data.ts';
export { describeAddress, type ExplainRequest, explainQuery } from './app/explain.ts';
export { type Logger, stderrLogger } from './app/log.ts';
export {
  type AppOptions,
  formatAddress,
  type ReloadOutcome,
  type RunningApp,
  startApp,
} from './app/server.ts';
export { isWorker, runWorker, startCluster } from './app/cluster.ts';
