// Watching the zones directory: a change reloads, debounced.
import { type FSWatcher, watch } from 'node:fs';
import type { Logger } from './log.ts';

const WATCH_DEBOUNCE_MS = 300;

export function watchDir(dir: string, onChange: () => void, log: Logger): FSWatcher | undefined {
  let timer: NodeJS.Timeout | undefined;
  try {
    return watch(dir, (_event, file) => {
      if (file !== null && !String(file).endsWith('.yaml')) return;
      clearTimeout(timer);
      timer = setTimeout(onChange, WATCH_DEBOUNCE_MS);
    });
  } catch (e) {
    log.warn(`not watching ${dir} for changes: ${(e as Error).message}; reload with SIGHUP`);
    return undefined;
  }
}
