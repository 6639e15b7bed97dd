// A task that runs one at a time: asked again while it runs, it runs once more after (the asks coalesce).

/**
 * `task` wrapped so that at most one run is under way; a call meanwhile returns the run under way and marks one
 * more run after it. A run that throws goes to `failed`; `stopped()` ends the repeats.
 */
export function coalescing(
  task: () => Promise<void>,
  failed: (e: unknown) => void,
  stopped: () => boolean = () => false,
): () => Promise<void> {
  let running: Promise<void> | undefined;
  let again = false;
  return () => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await task();
        } while (again && !stopped());
      } catch (e) {
        failed(e);
      } finally {
        running = undefined;
      }
    })();
    return running;
  };
}
