// Health in cluster mode (SPEC §8): every node probes every member and publishes its verdicts under its lease; the
// node holding the decider key turns the verdicts of the live nodes into decisions by health_quorum, with writes
// fenced by that key. With no decider for a while, every node decides by the same rule from the same mirror.
import { coalescing, errorMessage } from '../core/index.ts';
import type { HealthMonitor, HealthTarget, Transition } from '../health/index.ts';
import { quorumTransitions } from '../health/index.ts';
import type { Logger } from './log.ts';
import type { ServedState } from './state.ts';

/** Decisions are looked at again this often, and whenever a node's verdict, the live nodes or the decider change. */
const EVALUATE_INTERVAL_MS = 1_000;
/**
 * With no node holding the decider key this long, every node decides. They apply one rule to one mirror, and a
 * decision already in force is an update with nothing to change: they cannot write different answers.
 */
export const DECIDER_FALLBACK_MS = 10_000;

export interface QuorumParts {
  readonly state: ServedState;
  readonly monitor: HealthMonitor;
  /** health_quorum: majority, all or a number. */
  readonly quorum: string;
  /** Records decisions as health updates; returns those not recorded. */
  readonly record: (transitions: readonly Transition[], fenced: boolean) => Promise<Transition[]>;
  readonly log: Logger;
}

export class QuorumHealth {
  private targets: readonly HealthTarget[] = [];
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly parts: QuorumParts) {}

  start(): void {
    this.timer = setInterval(() => void this.evaluate(), EVALUATE_INTERVAL_MS);
    this.timer.unref();
    this.parts.state.onPeersChanged(() => void this.evaluate());
  }

  /** The targets the zones probe now; what this node sees of them is published. */
  sync(targets: readonly HealthTarget[]): void {
    this.targets = targets;
    this.observed();
  }

  /** A verdict of this node's probes changed: published, then decided on. */
  observed(): void {
    void this.parts.state.publishObservations(this.parts.monitor.verdicts());
    void this.evaluate();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  /** One evaluation at a time; a request meanwhile runs one more after it. */
  private readonly evaluate = coalescing(
    () => (this.stopped ? Promise.resolve() : this.decide()),
    (e) => this.parts.log.error(`health quorum: ${errorMessage(e)}`),
    () => this.stopped,
  );

  private async decide(): Promise<void> {
    const { state, quorum, record } = this.parts;
    const peers = state.peers();
    if (!peers?.current) return; // etcd unreachable: decisions freeze
    const fallback =
      peers.decider === undefined &&
      peers.noDeciderSince !== undefined &&
      Date.now() - peers.noDeciderSince >= DECIDER_FALLBACK_MS;
    if (!peers.deciding && !fallback) return;
    const live = state.liveState();
    const transitions = quorumTransitions(
      this.targets,
      peers,
      quorum,
      (key, address) => live.members.get(key)?.get(address)?.health,
    );
    if (transitions.length > 0) await record(transitions, peers.deciding);
  }
}
