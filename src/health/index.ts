// Public surface of health: probes, their schedule, rise/fall; transitions are reported, never written here.
export {
  HealthMonitor,
  type HealthTarget,
  type MonitorOptions,
  type Subscriber,
  type TargetStatus,
  type Transition,
} from './monitor.ts';
export { probe, type ProbeResult, type ProbeSpec } from './probe.ts';
export { initialStreak, nextStreak, type Streak } from './rise-fall.ts';
export { healthTargets } from './targets.ts';
export { downQuorum, type Observations, quorumTransitions } from './quorum.ts';
