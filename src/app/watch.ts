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

/** Calls `onChange` (debounced) when a .yaml file in `dir` changes, or `dir` is replaced; watching when it returns. */
export function watchDir(dir: string, onChange: () => void, log: Logger): DirWatch {
  return new DirWatcher(dir, onChange, log);
}

class DirWatcher implements DirWatch {
  private timer: NodeJS.Timeout | undefined;
  private watcher: FSWatcher | undefined;
  /** Device and inode of the directory being watched. */
  private identity: string | undefined;
  private missing = false;
  /** fs.watch itself failed (inotify limits): said once. */
  private warned = false;
  private readonly interval: NodeJS.Timeout;

  constructor(
    private readonly dir: string,
    private readonly onChange: () => void,
    private readonly log: Logger,
  ) {
    // Watching from the moment this returns: a change made just after is not missed (the stat is once, at start).
    const first = identityOf(() => statSync(dir));
    if (first === undefined) void this.check();
    else this.start(first);
    this.interval = setInterval(() => void this.check(), RECHECK_MS);
    this.interval.unref();
  }

  close(): void {
    clearInterval(this.interval);
    clearTimeout(this.timer);
    this.watcher?.close();
  }

  private changed(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(this.onChange, WATCH_DEBOUNCE_MS);
  }

  private start(id: string): void {
    this.watcher?.close();
    this.identity = id;
    try {
      const watcher = watch(this.dir, (_event, file) => {
        if (file === null || String(file).endsWith('.yaml')) this.changed();
      });
      watcher.on('error', () => {
        watcher.close();
        this.watcher = undefined; // looked at again on the next check
      });
      this.watcher = watcher;
    } catch (e) {
      this.watcher = undefined;
      if (!this.warned)
        this.log.warn(
          `not watching ${this.dir} for changes: ${errorMessage(e)}; reload with SIGHUP`,
        );
      this.warned = true;
    }
  }

  private async check(): Promise<void> {
    const id = await stat(this.dir).then(
      (s) => identityOf(() => s),
      () => undefined,
    );
    if (id === undefined) return this.gone();
    if (this.watcher && id === this.identity) return;
    // Back after it was gone, or a new directory in its place: its files may differ from the ones in service.
    const replaced = this.missing || (this.identity !== undefined && id !== this.identity);
    if (replaced) this.log.info(`the zones directory ${this.dir} is back; reloading`);
    this.missing = false;
    this.start(id);
    if (replaced) this.changed();
  }

  private gone(): void {
    if (!this.missing)
      this.log.warn(
        `the zones directory ${this.dir} is gone; serving the zones loaded, and watching for it to come back`,
      );
    this.missing = true;
    this.watcher?.close();
    this.watcher = undefined;
  }
}

/** "dev:ino" of a directory; undefined when it is not one or cannot be read. */
function identityOf(
  read: () => { isDirectory(): boolean; dev: number; ino: number },
): string | undefined {
  try {
    const s = read();
    return s.isDirectory() ? `${s.dev}:${s.ino}` : undefined;
  } catch {
    return undefined;
  }
}
