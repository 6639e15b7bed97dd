// Public surface of metrics: counters for the query path and the Prometheus exposition.
export {
  type Metric,
  type MetricNames,
  Metrics,
  type MetricsData,
  type ScrapeSources,
} from './metrics.ts';
