// Watching the zones directory: a change reloads, debounced; a directory that is removed and made again is watched
// again when it comes back.
import { errorMessage } from '../core/index.ts';
import { type FSWatcher, statSync, watch } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Logger } from './log.ts';

const WATCH_DEBOUNCE_MS = 300;
/** How often the directory itself is looked at: a watch on a removed directory reports nothing, ever. */
const RECHECK_MS = 1000;

export interface DirWatch {
  close(): void;
}

export function watchDir(dir: string, onChange: () => void, log: Logger): DirWatch {
  let timer: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  let identity: string | undefined; // device and inode of the directory being watched
  let missing = false;
  let warned = false; // fs.watch itself failed (inotify limits): said once
  const changed = (): void => {
    clearTimeout(timer);
    timer = setTimeout(onChange, WATCH_DEBOUNCE_MS);
  };
  const start = (id: string): void => {
    watcher?.close();
    try {
      watcher = watch(dir, (_event, file) => {
        if (file === null || String(file).endsWith('.yaml')) changed();
      });
      watcher.on('error', () => {
        watcher?.close();
        watcher = undefined; // looked at again on the next check
      });
      identity = id;
    } catch (e) {
      watcher = undefined;
      identity = id;
      if (!warned)
        log.warn(`not watching ${dir} for changes: ${errorMessage(e)}; reload with SIGHUP`);
      warned = true;
    }
  };
  const check = async (): Promise<void> => {
    const id = await stat(dir).then(
      (s) => (s.isDirectory() ? `${s.dev}:${s.ino}` : undefined),
      () => undefined,
    );
    if (id === undefined) {
      if (!missing)
        log.warn(
          `the zones directory ${dir} is gone; serving the zones loaded, and watching for it to come back`,
        );
      missing = true;
      watcher?.close();
      watcher = undefined;
      return;
    }
    if (watcher && id === identity) return;
    // Back after it was gone, or a new directory in its place: its files may differ from the ones in service.
    const replaced = missing || (identity !== undefined && id !== identity);
    if (replaced) log.info(`the zones directory ${dir} is back; reloading`);
    missing = false;
    start(id);
    if (replaced) changed();
  };
  // Watching from the moment this returns: a change made just after is not missed (the stat is once, at start).
  const first = statIdentity(dir);
  if (first === undefined) void check();
  else start(first);
  const interval = setInterval(() => void check(), RECHECK_MS);
  interval.unref();
  return {
    close: () => {
      clearInterval(interval);
      clearTimeout(timer);
      watcher?.close();
    },
  };
}

function statIdentity(dir: string): string | undefined {
  try {
    const s = statSync(dir);
    return s.isDirectory() ? `${s.dev}:${s.ino}` : undefined;
  } catch {
    return undefined;
  }
}
