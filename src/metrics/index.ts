// Public surface of metrics: counters for the query path and the Prometheus exposition.
export { type Metric, Metrics, type ScrapeSources } from './metrics.ts';
