// Public surface of config: server settings from defaults, a config file and flags.
export {
  DEFAULT_SETTINGS,
  MAX_WORKERS,
  parseListenAddress,
  parseSettings,
  type CookieSettings,
  type IdentitySettings,
  type ListenAddress,
  type RateLimitSettings,
  type Settings,
  type TsigKeyConfig,
} from './settings.ts';
