// Public surface of config: server settings from defaults, a config file, flags and the environment.
export { parseListenAddress } from './fields.ts';
export {
  applyFlags,
  DEFAULT_SETTINGS,
  MAX_WORKERS,
  parseSettings,
  SETTINGS,
  settingFlags,
  settingFlagsUsage,
} from './settings.ts';
export type {
  ClusterSettings,
  CookieSettings,
  EtcdSettings,
  EtcdTlsSettings,
  IdentitySettings,
  ListenAddress,
  RateLimitSettings,
  Settings,
  TsigKeyConfig,
} from './types.ts';
