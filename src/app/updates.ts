// RFC 2136 updates as the server takes them: keys, replays, the commit, the reply and one log line (rate-limited for
// peers that did not sign).
import { randomBytes } from 'node:crypto';
import type { TsigKeyConfig } from '../config/index.ts';
import { Rcode } from '../core/index.ts';
import { DEFAULT_FUDGE_SECONDS, type TsigKey } from '../dns/index.ts';
import type { Metrics } from '../metrics/index.ts';
import { processUpdate, type UpdateKey, type UpdateOutcome } from '../update/index.ts';
import type { LimitedLog, Logger } from './log.ts';
import { rcodeName } from './metrics.ts';
import { COMMIT_ATTEMPTS, conflictPause, type ServedState } from './state.ts';
import { updateView } from '../state/index.ts';

/** Who sent an update: a peer's address, or the health monitor in this process. */
export type UpdateOrigin = string;
export const HEALTH_ORIGIN: UpdateOrigin = 'health monitor';

type Handled = { reply: Buffer; outcome: UpdateOutcome };

export interface UpdateService {
  /** The internal key health updates are signed with; it lives only as long as this process. */
  readonly healthKey: TsigKey;
  /**
   * Checks, commits and answers one UPDATE. In cluster mode an update that met another node's change to its zone
   * is checked again (prerequisites included) on the state that change left, up to COMMIT_ATTEMPTS times.
   */
  handle(
    message: Buffer,
    from: UpdateOrigin,
    options?: { readonly fenced?: boolean },
  ): Promise<{ reply: Buffer; outcome: UpdateOutcome }>;
}

export function updateService(
  state: ServedState,
  tsigKeys: readonly TsigKeyConfig[],
  metrics: Metrics,
  log: Logger,
  limited: LimitedLog,
): UpdateService {
  const healthKey: TsigKey = {
    name: 'gslb-health.',
    algorithm: 'hmac-sha256',
    secret: randomBytes(32),
  };
  const keys = updateKeys(tsigKeys, healthKey);
  const replays = new ReplayGuard();
  return {
    healthKey,
    handle: async (message, from, options) => {
      const nowSeconds = Math.floor(Date.now() / 1000);
      let signedBy: string | undefined; // the replay guard's key of this message
      let original: Promise<Handled> | undefined;
      const check = (first: boolean): UpdateOutcome =>
        processUpdate(message, {
          zone: (origin) => {
            const zone = state.snapshot().zones.zones.get(origin);
            return zone && updateView(zone, state.liveState());
          },
          key: (name) => keys.get(name),
          // Checked once: a check again (its turn came, or after a conflict) is the same message, not a replay.
          replayed: (keyName, mac, timeSigned) => {
            if (!first) return false;
            signedBy = ReplayGuard.keyOf(keyName, mac);
            original = replays.inFlight(signedBy);
            return original !== undefined || replays.seen(signedBy, timeSigned, nowSeconds);
          },
          nowSeconds,
        });
      // Signature, replay and prerequisites first: only an update with changes to make waits for its turn.
      const outcome = check(true);
      // A client's retransmission of an update still being committed (UDP, a slow etcd) gets the original's
      // answer; once that is sent, the same message again is a replay.
      if (original) return original;
      const handled = (async (): Promise<Handled> => {
        let done = outcome;
        let rcode = done.rcode;
        if (rcode === Rcode.NOERROR && done.changes.length > 0) {
          const committed = await commitInTurn(state, done, () => check(false), options?.fenced);
          done = committed.outcome;
          rcode = committed.rcode;
        }
        metrics.update(done.source ?? 'unsigned', rcodeName(rcode));
        logUpdate(done, rcode, from, log, limited);
        return { reply: done.reply(rcode), outcome: done };
      })();
      if (signedBy !== undefined && !outcome.replayed) replays.track(signedBy, handled);
      return handled;
    },
  };
}

/** The operator's keys from the settings, and the health monitor's key of this process. */
function updateKeys(
  tsigKeys: readonly TsigKeyConfig[],
  healthKey: TsigKey,
): Map<string, UpdateKey> {
  const keys = new Map<string, UpdateKey>(
    tsigKeys.map((k) => [
      k.name,
      {
        key: { name: k.name, algorithm: k.algorithm, secret: Buffer.from(k.secret, 'base64') },
        source: 'update',
        zones: k.zones,
      },
    ]),
  );
  keys.set(healthKey.name, { key: healthKey, source: 'health', zones: undefined });
  return keys;
}

/**
 * Commits a checked update in the node's write queue. The update is checked again when its turn comes in cluster
 * mode (another node may have changed the zone) and after a conflict, up to COMMIT_ATTEMPTS times; the outcome
 * returned is the one the reply is built from.
 */
async function commitInTurn(
  state: ServedState,
  checked: UpdateOutcome,
  checkAgain: () => UpdateOutcome,
  fenced = false,
): Promise<{ outcome: UpdateOutcome; rcode: number }> {
  let outcome = checked;
  const turn = state.inTurn(async () => {
    for (let attempt = 1; ; attempt++) {
      if (attempt > 1 || state.clustered()) outcome = checkAgain(); // on the state as it is now
      if (outcome.rcode !== Rcode.NOERROR || outcome.changes.length === 0) return outcome.rcode;
      const source = outcome.source ?? 'update';
      const committed = await state.commit(outcome.zone!, outcome.changes, {
        source,
        reason: `${source} signed by ${outcome.keyName}`,
        fenced,
      });
      if (committed.ok) return Rcode.NOERROR;
      if (!committed.conflict || attempt >= COMMIT_ATTEMPTS) return Rcode.SERVFAIL;
      await conflictPause(attempt);
    }
  });
  const rcode = turn ? await turn : Rcode.SERVFAIL; // too many writes waiting already
  return { outcome, rcode };
}

function logUpdate(
  outcome: UpdateOutcome,
  rcode: number,
  from: UpdateOrigin,
  log: Logger,
  limited: LimitedLog,
): void {
  const skipped = outcome.skipped.slice(0, 5).map((s) => `skipped: ${s}`);
  if (outcome.skipped.length > 5) skipped.push(`${outcome.skipped.length - 5} more skipped`);
  const note = [outcome.reason, ...skipped].filter(Boolean).join('; ');
  const changes = outcome.changes.length ? `, ${outcome.changes.length} change(s)` : '';
  const by = outcome.keyName ?? 'unsigned';
  const noted = note ? ` (${note})` : '';
  const line = `update ${outcome.zone ?? '?'} from ${from} by ${by}: rcode ${rcode}${changes}${noted}`;
  // A peer that did not prove a key (unsigned, unknown key, bad MAC) or replays an old message gets a few
  // lines a minute.
  const authenticated =
    outcome.source !== undefined && outcome.tsigError === 0 && !outcome.replayed;
  if (authenticated) (rcode === Rcode.NOERROR ? log.info : log.warn)(line);
  else
    limited.write(
      'warn',
      outcome.replayed ? 'replayed update' : 'unauthenticated update',
      from,
      line.slice(0, 300),
    );
}

/**
 * The (key, MAC) of every accepted signed message, for as long as its time signed is within the fudge: a replay
 * is refused. Entries leave in arrival order once their time has passed; at MAX_ENTRIES the oldest leave early.
 */
class ReplayGuard {
  static readonly MAX_ENTRIES = 200_000;
  private readonly expiries = new Map<string, number>();
  private readonly handling = new Map<string, Promise<Handled>>();

  static keyOf(keyName: string, mac: Buffer): string {
    return `${keyName} ${mac.toString('base64')}`;
  }

  /** The answer being made for this message, while it is. */
  inFlight(key: string): Promise<Handled> | undefined {
    return this.handling.get(key);
  }

  track(key: string, handled: Promise<Handled>): void {
    this.handling.set(key, handled);
    void handled.finally(() => this.handling.delete(key)).catch(() => undefined);
  }

  seen(key: string, timeSigned: number, nowSeconds: number): boolean {
    for (const [old, expiry] of this.expiries) {
      if (expiry >= nowSeconds && this.expiries.size < ReplayGuard.MAX_ENTRIES) break;
      this.expiries.delete(old);
    }
    if (this.expiries.has(key)) return true;
    this.expiries.set(key, Math.max(timeSigned, nowSeconds) + DEFAULT_FUDGE_SECONDS);
    return false;
  }
}
