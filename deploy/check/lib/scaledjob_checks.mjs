// Checks of a KEDA ScaledJob of one-shot agents. Its pod is checked as a Deployment's is (the
// workload checks, the NetworkPolicy), its triggers as a ScaledObject's are (known keys, a way to
// wake from zero, the agent's stream, group and Redis), and then what a Job needs that a
// Deployment does not: the agent exits after its job, the pod is not restarted in place, no other
// container keeps the Job from completing, and KEDA counts the waiting jobs once.
import { agentConfig } from './agent_config.mjs';
import { WORKLOAD_CHECKS } from './workload_checks.mjs';
import { checkNetworkPolicy, checkScaledObjectShape, checkTriggersTarget, isRedisStreams } from './scaling_checks.mjs';

// The agent's flags: `--once`, `--max-jobs N`, `--exit-after-idle D` (also as --flag=value).
function flag(args, name) {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === name) return args[i + 1] ?? '';
    if (args[i].startsWith(`${name}=`)) return args[i].slice(name.length + 1);
  }
  return undefined;
}

export function checkOneShot({ deployment: job, podSpec, container, config }) {
  const args = [...(container.command ?? []), ...(container.args ?? [])];
  const where = `${job.label}: container ${container.name}`;
  const errors = [];
  const once = args.includes('--once') || flag(args, '--max-jobs') !== undefined || Number(config.max_jobs) > 0;
  if (!once) {
    errors.push(`${where}: args lack --once (or --max-jobs N, agent.max_jobs): the agent would run on after its job ` +
      'and the Job never complete');
  }
  if (flag(args, '--exit-after-idle') === undefined && !config.exit_after_idle) {
    errors.push(`${where}: args lack --exit-after-idle (or agent.exit_after_idle): a pod KEDA started for a job ` +
      'another pod took would wait for a job for ever');
  }
  if ((podSpec.restartPolicy ?? 'Always') !== 'Never') {
    errors.push(`${job.label}: restartPolicy ${podSpec.restartPolicy ?? '(unset)'} should be Never: ` +
      'a restarted agent would take another job in the same pod');
  }
  for (const other of podSpec.containers ?? []) {
    if (other === container) continue;
    errors.push(`${job.label}: container ${other.name} beside the agent keeps running after the agent exits, and the ` +
      'Job never completes: run it as a native sidecar (initContainers with restartPolicy Always)');
  }
  return errors;
}

// Jobs waiting are counted once: by the lag (entries not yet delivered, so the running builds are
// already left out) with the accurate strategy.
export function checkScaling({ scaledObject: scaledJob }) {
  const spec = scaledJob.object.spec ?? {};
  const errors = [];
  const strategy = spec.scalingStrategy?.strategy ?? 'default';
  (spec.triggers ?? []).forEach((trigger, i) => {
    if (!isRedisStreams(trigger)) return;
    const metadata = trigger.metadata ?? {};
    if (!metadata.lagCount) {
      errors.push(`${scaledJob.label}: triggers[${i}] has no lagCount: without it KEDA counts pending entries, ` +
        'the running builds, and starts a pod for each of them again');
    }
  });
  if (strategy !== 'accurate') {
    errors.push(`${scaledJob.label}: scalingStrategy.strategy ${strategy} should be accurate: the lag already leaves ` +
      'out the running builds, and the default strategy subtracts them again, so jobs would wait for builds to end');
  }
  return errors;
}

// Returns the messages about one ScaledJob.
export function checkScaledJob(scaledJob, index) {
  const template = scaledJob.object.spec?.jobTargetRef?.template ?? {};
  const podSpec = template.spec ?? {};
  const containers = podSpec.containers ?? [];
  const container = containers.find((c) => c.name === 'agent') ?? containers[0];
  if (!container) return [`${scaledJob.label}: jobTargetRef.template has no containers`];
  // The Job's pod, seen by the workload checks as a Deployment's pod template.
  const workload = { label: scaledJob.label, name: scaledJob.name, object: { spec: { template } } };
  const found = agentConfig(workload, container, index);
  if (found.errors.length > 0) return found.errors;
  const context = { deployment: workload, podSpec, container, config: found.config, configText: found.text, index };
  const errors = [
    ...WORKLOAD_CHECKS.flatMap((check) => check(context)),
    ...checkOneShot(context),
    ...checkScaledObjectShape({ scaledObject: scaledJob, index }),
    ...checkScaling({ scaledObject: scaledJob }),
    ...checkTriggersTarget(scaledJob.label, scaledJob.object.spec?.triggers, context),
  ];
  for (const policy of index.all('NetworkPolicy')) errors.push(...checkNetworkPolicy({ ...context, policy }));
  return errors;
}
