// Checks across manifests: what no single schema can see. For every Deployment of the agent it
// finds the configuration the pod will run with, then runs the workload checks on the pair and
// the scaling checks on each ScaledObject and NetworkPolicy that points at it; a ScaledJob of
// one-shot agents gets the same and its own (lib/scaledjob_checks.mjs).
import { agentConfig } from './agent_config.mjs';
import { WORKLOAD_CHECKS } from './workload_checks.mjs';
import { ENGINE_CHECKS } from './engine_checks.mjs';
import { checkNetworkPolicy, checkScaledObjectShape, checkScaledObjectTarget } from './scaling_checks.mjs';
import { checkTriggerAuthentication } from './redis_trigger_checks.mjs';
import { checkScaledJob } from './scaledjob_checks.mjs';

// Manifests by kind and name.
export class Index {
  constructor(manifests) {
    this.byKind = new Map();
    for (const m of manifests) {
      if (!this.byKind.has(m.kind)) this.byKind.set(m.kind, []);
      this.byKind.get(m.kind).push(m);
    }
  }

  all(kind) {
    return this.byKind.get(kind) ?? [];
  }

  has(kind) {
    return this.all(kind).length > 0;
  }

  get(kind, name) {
    return this.all(kind).find((m) => m.name === name);
  }
}

function checkNamespaces(manifests, kustomizations) {
  const namespace = kustomizations.find((k) => k.object.namespace)?.object.namespace;
  if (!namespace) return [];
  return manifests
    .filter((m) => m.kind !== 'Kustomization' && m.object.metadata?.namespace && m.object.metadata.namespace !== namespace)
    .map((m) => `${m.label}: namespace ${m.object.metadata.namespace} differs from the kustomization's ${namespace}`);
}

function checkUniqueNames(manifests) {
  const seen = new Map();
  const errors = [];
  for (const m of manifests) {
    if (m.kind === 'Kustomization') continue;
    const key = `${m.kind}/${m.name}`;
    if (seen.has(key)) errors.push(`${m.label}: also defined in ${seen.get(key)}`);
    else seen.set(key, m.file);
  }
  return errors;
}

function checkDeployment(deployment, index) {
  const podSpec = deployment.object.spec?.template?.spec ?? {};
  const containers = podSpec.containers ?? [];
  const container = containers.find((c) => c.name === 'agent') ?? containers[0];
  if (!container) return [`${deployment.label}: no containers`];
  const found = agentConfig(deployment, container, index);
  if (found.errors.length > 0) return found.errors;
  const context = { deployment, podSpec, container, config: found.config, configText: found.text, index };
  const errors = [...WORKLOAD_CHECKS, ...ENGINE_CHECKS].flatMap((check) => check(context));
  for (const scaledObject of index.all('ScaledObject')) {
    errors.push(...checkScaledObjectTarget({ ...context, scaledObject }));
  }
  for (const policy of index.all('NetworkPolicy')) {
    errors.push(...checkNetworkPolicy({ ...context, policy }));
  }
  return errors;
}

// Returns messages; empty when the set holds together.
export function crossCheck(manifests, kustomizations) {
  const index = new Index(manifests);
  const errors = [...checkNamespaces(manifests, kustomizations), ...checkUniqueNames(manifests)];
  for (const scaledObject of index.all('ScaledObject')) errors.push(...checkScaledObjectShape({ scaledObject, index }));
  for (const auth of index.all('TriggerAuthentication')) errors.push(...checkTriggerAuthentication(auth));
  for (const deployment of index.all('Deployment')) errors.push(...checkDeployment(deployment, index));
  for (const scaledJob of index.all('ScaledJob')) errors.push(...checkScaledJob(scaledJob, index));
  if (index.has('ScaledObject') && !index.has('Deployment')) {
    errors.push('a ScaledObject is given without the Deployment it scales');
  }
  return errors;
}
