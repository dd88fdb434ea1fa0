// How a redis-streams trigger reaches Redis, checked against how the agent does (its redis.url):
// the same server, or the same sentinels and master name with the redis-sentinel-streams scaler;
// TLS on both or on neither, said once (KEDA refuses enableTLS in the trigger together with `tls`
// in its TriggerAuthentication); the sentinels' login when the agent has one. The rules are those
// of KEDA's redis scalers (pkg/scalers/redis_scaler.go: parseTLSConfigIntoConnectionInfo,
// parseRedisSentinelAddress).
import { redisEndpoint } from './agent_config.mjs';

const TRUE = new Set(['1', 't', 'T', 'true', 'TRUE', 'True']); // Go's strconv.ParseBool

function secretValue(index, name, key) {
  const secret = index.get('Secret', name)?.object;
  if (secret?.stringData && key in secret.stringData) return String(secret.stringData[key]);
  if (secret?.data && key in secret.data) return Buffer.from(String(secret.data[key]), 'base64').toString();
  return undefined;
}

// The TriggerAuthentication a trigger names (null for none or a ClusterTriggerAuthentication)
// and the parameters it gives KEDA: parameter -> value, undefined when the Secret behind it is not
// among the manifests.
export function triggerAuth(trigger, index) {
  const ref = trigger.authenticationRef;
  const auth = ref && (ref.kind ?? 'TriggerAuthentication') === 'TriggerAuthentication' ? index.get('TriggerAuthentication', ref.name) : null;
  const params = new Map();
  for (const r of auth?.object.spec?.secretTargetRef ?? []) params.set(r.parameter, secretValue(index, r.name, r.key));
  for (const e of auth?.object.spec?.env ?? []) params.set(e.parameter, undefined);
  return { name: auth?.name ?? '(none)', params };
}

// Whether KEDA speaks TLS on the trigger, and what it would refuse about how that is said.
function triggerTls(where, metadata, auth) {
  const inTrigger = TRUE.has(metadata.enableTLS);
  if (!auth.params.has('tls')) return { on: inTrigger, errors: [] };
  const value = auth.params.get('tls')?.trim();
  const errors = [];
  if (inTrigger) {
    errors.push(`${where}: enableTLS "${metadata.enableTLS}" here and tls in TriggerAuthentication ${auth.name}: ` +
      'KEDA refuses TLS set in both the ScaledObject and the TriggerAuthentication; keep one');
  }
  if (value !== undefined && value !== 'enable' && value !== 'disable') {
    errors.push(`${where}: TriggerAuthentication ${auth.name} gives tls "${value}"; KEDA takes enable or disable`);
  }
  return { on: inTrigger || value !== 'disable', errors };
}

function checkTls(where, metadata, auth, redis) {
  const { on, errors } = triggerTls(where, metadata, auth);
  if (redis.tls && !on) {
    errors.push(`${where}: the agent's Redis speaks TLS (agent.redis.url rediss://) and this trigger does not: ` +
      `give TriggerAuthentication ${auth.name} tls "enable" (or set enableTLS "true" here, not both)`);
  }
  if (!redis.tls && on) errors.push(`${where}: TLS is on, but the agent's Redis is plain (agent.redis.url redis://)`);
  return errors;
}

function sentinelAddresses(metadata) {
  if (metadata.addresses) return metadata.addresses.split(',').map((a) => a.trim());
  const hosts = (metadata.hosts ?? '').split(',').map((h) => h.trim());
  const ports = (metadata.ports ?? '').split(',').map((p) => p.trim());
  return hosts[0] ? hosts.map((h, i) => `${h}:${ports[i]}`) : [];
}

function checkSentinels(where, metadata, auth, redis) {
  const errors = [];
  const want = redis.sentinels.map((s) => `${s.host}:${s.port}`);
  const got = sentinelAddresses(metadata);
  if (got.length !== want.length || !want.every((a) => got.includes(a))) {
    errors.push(`${where}.metadata.addresses ${got.join(', ') || '(none)'} are not the agent's sentinels ${want.join(', ')}`);
  }
  const master = metadata.sentinelMaster ?? auth.params.get('sentinelMaster');
  if (master !== redis.master && !(master === undefined && auth.params.has('sentinelMaster'))) {
    errors.push(`${where}.metadata.sentinelMaster ${master ?? '(none)'} is not the agent's master name ${redis.master}`);
  }
  return errors;
}

// The trigger's server: the agent's, or the agent's sentinels with the sentinel scaler.
function checkServer(where, trigger, metadata, auth, redis) {
  const sentinelScaler = trigger.type === 'redis-sentinel-streams';
  if (redis.sentinels && !sentinelScaler) {
    return [`${where}: type ${trigger.type}, but the agent's Redis is behind Sentinel (agent.redis.url redis+sentinel://): ` +
      'use redis-sentinel-streams with addresses and sentinelMaster'];
  }
  if (redis.sentinels) return checkSentinels(where, metadata, auth, redis);
  if (sentinelScaler) return [`${where}: type redis-sentinel-streams, but the agent's Redis is not behind Sentinel (agent.redis.url)`];
  const address = `${redis.host}:${redis.port}`;
  if (metadata.address && metadata.address !== address) {
    return [`${where}.metadata.address ${metadata.address} is not the agent's Redis ${address}`];
  }
  return [];
}

function checkSentinelLogin(where, trigger, metadata, auth, config) {
  if (!config.redis.sentinel?.password || trigger.type !== 'redis-sentinel-streams') return [];
  if (auth.params.has('sentinelPassword') || metadata.sentinelPasswordFromEnv) return [];
  return [`${where}: the agent logs in to the sentinels (agent.redis.sentinel.password) and this trigger does not: ` +
    `give TriggerAuthentication ${auth.name} a sentinelPassword`];
}

// `where` is "<ScaledObject>: triggers[i]".
export function checkTriggerRedis(where, trigger, config, index) {
  const redis = redisEndpoint(config.redis.url);
  if (!redis) return [];
  const metadata = trigger.metadata ?? {};
  const auth = triggerAuth(trigger, index);
  return [
    ...checkServer(where, trigger, metadata, auth, redis),
    ...checkTls(where, metadata, auth, redis),
    ...checkSentinelLogin(where, trigger, metadata, auth, config),
  ];
}

// KEDA refuses a client certificate without its key, and the reverse.
export function checkTriggerAuthentication(auth) {
  const given = new Set((auth.object.spec?.secretTargetRef ?? []).map((r) => r.parameter));
  for (const e of auth.object.spec?.env ?? []) given.add(e.parameter);
  if (given.has('cert') === given.has('key')) return [];
  const [has, lacks] = given.has('cert') ? ['cert', 'key'] : ['key', 'cert'];
  return [`${auth.label}: gives ${has} without ${lacks}; KEDA refuses a client certificate without its key and the reverse`];
}
