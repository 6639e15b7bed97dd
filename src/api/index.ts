// Public surface of api: the HTTP API's routes (testable without sockets), its JSON views and its listener.
export {
  apiHandler,
  type HttpHandler,
  type HttpListener,
  type HttpOptions,
  jsonError,
  listenHttp,
} from './http.ts';
export { route } from './routes.ts';
export type {
  ApiContext,
  ApiRequest,
  ApiResponse,
  ClusterReport,
  ClusterStatus,
  OverrideRequest,
  Status,
} from './types.ts';
export type {
  HealthzView,
  MemberRow,
  MemberView,
  PoolView,
  ProbeView,
  ReloadResult,
  ResolveView,
  ServerView,
  StorageView,
  ZoneSummary,
  ZoneView,
} from './views.ts';
