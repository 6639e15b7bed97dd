// Public surface of metrics: counters for the query path and the Prometheus exposition.
export { Metrics, type ScrapeSources } from './metrics.ts';
