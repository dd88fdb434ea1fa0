// Checks of the KEDA ScaledObject and the NetworkPolicy against the Deployment and the agent's
// configuration. KEDA's CRD types trigger metadata as a free map of strings, so its schema cannot
// catch a misspelt or foreign key: this file knows the redis-streams scaler's keys.
import { agentStreams, httpEndpoint, listenPort, redisEndpoint } from './agent_config.mjs';
import { checkTriggerRedis } from './redis_trigger_checks.mjs';
import { resolvePort } from './workload_checks.mjs';

// The trigger metadata KEDA's redis-streams scaler reads (pkg/scalers/redis_streams_scaler.go and
// redis_scaler.go's connection fields; `xFromEnv` reads x from the target's environment).
const REDIS_STREAMS_KEYS = new Set([
  'address', 'addresses', 'host', 'hosts', 'port', 'ports', 'username', 'password',
  'sentinelUsername', 'sentinelPassword', 'sentinelMaster', 'unsafeSsl', 'enableTLS', 'databaseIndex',
  'stream', 'consumerGroup', 'pendingEntriesCount', 'streamLength', 'lagCount', 'activationLagCount',
]);
const FROM_ENV = /^(address|addresses|host|hosts|port|ports|username|password|sentinelUsername|sentinelPassword|sentinelMaster)FromEnv$/;
const COUNTS = ['lagCount', 'pendingEntriesCount', 'streamLength'];

export function isRedisStreams(trigger) {
  return ['redis-streams', 'redis-cluster-streams', 'redis-sentinel-streams'].includes(trigger.type);
}

function checkTriggerKeys(label, i, metadata) {
  const errors = [];
  for (const key of Object.keys(metadata)) {
    if (REDIS_STREAMS_KEYS.has(key) || FROM_ENV.test(key)) continue;
    const hint = key === 'lagThreshold' ? ' (KEDA ignores it and stays in pending-count mode; the lag target is lagCount)' : '';
    errors.push(`${label}: triggers[${i}].metadata: "${key}" is not a redis-streams field${hint}`);
  }
  for (const key of [...COUNTS, 'activationLagCount']) {
    if (key in metadata && !/^\d+$/.test(metadata[key])) {
      errors.push(`${label}: triggers[${i}].metadata.${key} must be a whole number in quotes, got ${JSON.stringify(metadata[key])}`);
    }
  }
  for (const key of COUNTS) {
    if (metadata[key] === '0') errors.push(`${label}: triggers[${i}].metadata.${key} must be at least 1`);
  }
  return errors;
}

function checkTriggerTarget(label, i, trigger, config, container, index) {
  const errors = [];
  const metadata = trigger.metadata ?? {};
  const where = `${label}: triggers[${i}].metadata`;
  const streams = agentStreams(config, container);
  if (!streams.includes(metadata.stream)) {
    const which = streams.length === 1 ? `stream ${streams[0]}` : `streams ${streams.join(', ')}`;
    errors.push(`${where}.stream ${metadata.stream} is not the agent's ${which}`);
  }
  if (metadata.consumerGroup !== config.redis.consumer_group) {
    errors.push(`${where}.consumerGroup ${metadata.consumerGroup} is not the agent's group ${config.redis.consumer_group}`);
  }
  errors.push(...checkTriggerRedis(`${label}: triggers[${i}]`, trigger, config, index));
  return errors;
}

// What a ScaledObject must get right on its own: known trigger fields, whole-number targets,
// min <= max, existing TriggerAuthentications, and a way to wake from zero replicas.
export function checkScaledObjectShape({ scaledObject, index }) {
  const label = scaledObject.label;
  const spec = scaledObject.object.spec ?? {};
  const errors = [];
  const min = spec.minReplicaCount ?? 0;
  const max = spec.maxReplicaCount ?? 100;
  if (min > max) errors.push(`${label}: minReplicaCount ${min} exceeds maxReplicaCount ${max}`);
  const triggers = spec.triggers ?? [];
  triggers.forEach((trigger, i) => {
    if (!isRedisStreams(trigger)) return;
    errors.push(...checkTriggerKeys(label, i, trigger.metadata ?? {}));
    const auth = trigger.authenticationRef;
    if (auth && (auth.kind ?? 'TriggerAuthentication') === 'TriggerAuthentication' && !index.get('TriggerAuthentication', auth.name)) {
      errors.push(`${label}: triggers[${i}].authenticationRef: TriggerAuthentication ${auth.name} is not among the manifests`);
    }
  });
  errors.push(...checkFormula(label, spec.advanced?.scalingModifiers, triggers));
  const wakes = triggers.some((t) => isRedisStreams(t) && t.metadata?.consumerGroup && t.metadata?.lagCount);
  if (min === 0 && !wakes) {
    errors.push(
      `${label}: minReplicaCount 0 needs a redis-streams trigger with consumerGroup and lagCount: ` +
        'without lagCount the scaler counts pending entries, which stay 0 while no agent runs, so it never wakes from zero',
    );
  }
  return errors;
}

// Words of KEDA's formula language (expr) that are not trigger names.
const EXPR_WORDS = new Set(['and', 'or', 'not', 'in', 'true', 'false', 'nil', 'min', 'max', 'abs', 'ceil', 'floor', 'round']);

// A scalingModifiers formula may only name triggers that exist (by their `name`).
function checkFormula(label, modifiers, triggers) {
  if (!modifiers?.formula) return [];
  const names = new Set(triggers.map((t) => t.name).filter(Boolean));
  const used = new Set(modifiers.formula.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? []);
  return [...used]
    .filter((id) => !names.has(id) && !EXPR_WORDS.has(id))
    .map((id) => `${label}: advanced.scalingModifiers.formula uses ${id}, which is no trigger's name`);
}

// Each redis-streams trigger scales on a stream the agents consume (one of agent.redis.streams),
// in their group, on their Redis (lib/redis_trigger_checks.mjs: server or sentinels, TLS, the
// sentinels' login).
export function checkTriggersTarget(label, triggers, { config, container, index }) {
  return (triggers ?? []).flatMap((trigger, i) =>
    isRedisStreams(trigger) ? checkTriggerTarget(label, i, trigger, config, container, index) : []);
}

// The ScaledObject scales this Deployment, on what its agents consume.
export function checkScaledObjectTarget(context) {
  const { scaledObject, deployment } = context;
  const label = scaledObject.label;
  const spec = scaledObject.object.spec ?? {};
  const errors = [];
  const target = spec.scaleTargetRef ?? {};
  if ((target.kind ?? 'Deployment') !== 'Deployment' || target.name !== deployment.name) {
    errors.push(`${label}: scaleTargetRef does not name Deployment ${deployment.name}`);
  }
  errors.push(...checkTriggersTarget(label, spec.triggers, context));
  return errors;
}

function selects(selector, labels) {
  const match = selector?.matchLabels ?? {};
  const expressions = selector?.matchExpressions ?? [];
  return (
    Object.entries(match).every(([k, v]) => labels[k] === v) &&
    expressions.every((e) => (e.operator === 'In' ? e.values.includes(labels[e.key]) : true))
  );
}

function allowsPort(rules, port, protocol) {
  return rules.some((rule) => {
    if (!rule.ports || rule.ports.length === 0) return true;
    return rule.ports.some((p) => (p.protocol ?? 'TCP') === protocol && (p.port === undefined || p.port === port ||
      (p.endPort !== undefined && port >= p.port && port <= p.endPort)));
  });
}

// The policy selects the agents, and its egress admits DNS and each server the configuration
// names (by port; which pods or addresses they are is the cluster's business).
// The registry an image reference pulls from: its first component when that names a host (a dot,
// a port or localhost), else Docker Hub; over HTTPS unless a port is given.
export function imageRegistry(image) {
  const first = String(image).split('/')[0];
  const named = String(image).includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (!named) return { host: 'docker.io', port: 443 };
  const [host, port] = first.split(':');
  return { host, port: port ? Number(port) : 443 };
}

export function checkNetworkPolicy({ policy, deployment, container, config }) {
  const label = policy.label;
  const spec = policy.object.spec ?? {};
  const podLabels = deployment.object.spec?.template?.metadata?.labels ?? {};
  if (!selects(spec.podSelector, podLabels)) return [`${label}: podSelector does not select Deployment ${deployment.name}'s pods`];
  const types = spec.policyTypes ?? ['Ingress'];
  const errors = [];
  if (!types.includes('Egress')) errors.push(`${label}: policyTypes lacks Egress, so egress is not limited`);
  const egress = spec.egress ?? [];
  if (!allowsPort(egress, 53, 'UDP')) errors.push(`${label}: egress does not admit DNS (UDP 53)`);
  // Behind Sentinel, each sentinel; the master's port is whatever they name, unknown here.
  const redis = redisEndpoint(config.redis.url);
  const servers = [
    ...(redis?.sentinels ?? [redis]).map((endpoint) => ['agent.redis.url', endpoint]),
    ['agent.git.base_url', config.git?.base_url ? httpEndpoint(config.git.base_url) : null],
    ['agent.registry.url', config.registry?.url ? httpEndpoint(config.registry.url) : null],
    // The engine beside the agent pulls the default image through the pod's network too.
    ['agent.image', config.executor === 'docker' && config.image ? imageRegistry(config.image) : null],
  ];
  for (const [key, endpoint] of servers) {
    if (endpoint && !allowsPort(egress, endpoint.port, 'TCP')) {
      errors.push(`${label}: egress admits no TCP port ${endpoint.port}, needed for ${key} (${endpoint.host})`);
    }
  }
  if (types.includes('Ingress')) {
    const port = listenPort(config.http.listen);
    const rules = (spec.ingress ?? []).map((r) => ({ ...r, ports: r.ports?.map((p) => ({ ...p, port: resolvePort(container, p.port) })) }));
    if (!allowsPort(rules, port, 'TCP')) errors.push(`${label}: ingress does not admit the probes and scrapes on port ${port}`);
  }
  return errors;
}
