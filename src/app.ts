// Composition root: the only module that imports every room (its parts live in app/).
export { randomChooser } from './app/chooser.ts';
export { isWorker, startCluster } from './app/cluster.ts';
export { loadData, type LoadedData, loadGeoDir, loadZoneDir } from './app/data.ts';
export { describeAddress, explainQuery } from './app/explain.ts';
export { formatAddress } from './app/listen.ts';
export { type Logger, stderrLogger } from './app/log.ts';
export { type AppOptions, type ReloadOutcome, type RunningApp, startApp } from './app/start.ts';
export { runWorker } from './app/worker.ts';
