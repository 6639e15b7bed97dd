// One typed request/reply channel over a process's IPC link (primary ↔ DNS worker): each request carries an id and
// gets one reply, or none once its time is up or the peer is gone; notices go one way and are not answered.

/** Call name → what is asked and what comes back. */
export type Calls = Record<string, { readonly ask: unknown; readonly reply: unknown }>;

/** What crosses the link (structured clone: Maps and byte arrays survive). */
export type Envelope =
  | { readonly kind: 'notice'; readonly notice: unknown }
  | { readonly kind: 'request'; readonly id: number; readonly call: string; readonly ask: unknown }
  | { readonly kind: 'reply'; readonly id: number; readonly reply: unknown };

/** How this side answers each call the peer may make. */
export type Answerers<In extends Calls> = {
  readonly [K in keyof In]: (ask: In[K]['ask']) => In[K]['reply'] | Promise<In[K]['reply']>;
};

/** `Out`: the calls this side makes; `In`: those it answers; notices sent and received. */
export class Channel<Out extends Calls, In extends Calls, NoticeOut, NoticeIn> {
  private lastId = 0;
  private readonly waiting = new Map<number, (reply: unknown) => void>();

  constructor(
    private readonly post: (message: Envelope) => void,
    private readonly answerers: Answerers<In>,
    private readonly onNotice: (notice: NoticeIn) => void,
  ) {}

  /** The peer's reply, or undefined when none came within `timeoutMs` or the channel closed. */
  ask<K extends keyof Out & string>(
    call: K,
    ask: Out[K]['ask'],
    timeoutMs: number,
  ): Promise<Out[K]['reply'] | undefined> {
    return new Promise((resolve) => {
      const id = (this.lastId = (this.lastId + 1) % Number.MAX_SAFE_INTEGER);
      const timer = setTimeout(() => done(undefined), timeoutMs);
      const done = (reply: unknown): void => {
        clearTimeout(timer);
        this.waiting.delete(id);
        resolve(reply);
      };
      this.waiting.set(id, done);
      this.post({ kind: 'request', id, call, ask });
    });
  }

  notify(notice: NoticeOut): void {
    this.post({ kind: 'notice', notice });
  }

  /** One message from the peer: a reply settles its request, a request is answered, a notice handed on. */
  receive(message: Envelope): void {
    switch (message.kind) {
      case 'reply':
        this.waiting.get(message.id)?.(message.reply);
        return;
      case 'notice':
        this.onNotice(message.notice as NoticeIn);
        return;
      case 'request':
        void this.answer(message.id, message.call, message.ask);
        return;
      default: {
        // Only this program's processes are on the link; a kind this version does not know is ignored.
        const unknown: never = message;
        return unknown;
      }
    }
  }

  /** The peer is gone: every request still waiting gets no reply. */
  close(): void {
    for (const done of [...this.waiting.values()]) done(undefined);
  }

  private async answer(id: number, call: string, ask: unknown): Promise<void> {
    const answerer = this.answerers[call] as ((ask: unknown) => unknown) | undefined;
    // A call this side does not know, or one that failed, gets an empty reply rather than none.
    const reply: unknown = await Promise.resolve()
      .then(() => answerer?.(ask))
      .catch(() => undefined);
    this.post({ kind: 'reply', id, reply });
  }
}
