// The agent configuration a Deployment runs with: found through the container's --config flag
// (or RAIBID_CONFIG, or the default path), the volume mounted there and the ConfigMap key behind
// it, parsed, with the defaults of docs/configuration.md filled in for what the checks need.
import path from 'node:path';
import YAML from 'yaml';

export const DEFAULT_CONFIG_PATH = '/etc/raibid/agent.yaml';

const DEFAULTS = {
  shutdown_grace_seconds: 600,
  http: { listen: '0.0.0.0:9090' },
  redis: { url: 'redis://127.0.0.1:6379', stream_name: 'ci-jobs', consumer_group: 'ci-workers' },
  cache: { path: '/var/cache/raibid', size: '50Gi' },
  work_dir: '/var/lib/raibid/work',
};

// Where the container reads its configuration from.
export function configPath(container) {
  const args = [...(container.command ?? []), ...(container.args ?? [])];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--config' && i + 1 < args.length) return args[i + 1];
    if (args[i].startsWith('--config=')) return args[i].slice('--config='.length);
  }
  const env = (container.env ?? []).find((e) => e.name === 'RAIBID_CONFIG' && typeof e.value === 'string');
  return env ? env.value : DEFAULT_CONFIG_PATH;
}

// The volume mount holding `file` and the path of the file inside that volume.
export function mountFor(container, podSpec, file) {
  let best = null;
  for (const mount of container.volumeMounts ?? []) {
    const dir = mount.mountPath.replace(/\/+$/, '');
    if (file === dir || file.startsWith(`${dir}/`)) {
      if (!best || dir.length > best.dir.length) best = { dir, mount };
    }
  }
  if (!best) return null;
  const volume = (podSpec.volumes ?? []).find((v) => v.name === best.mount.name);
  const inner = path.posix.relative(best.dir, file);
  return { mount: best.mount, volume, inner };
}

// The key of a ConfigMap or Secret volume that appears at `inner` inside the volume.
export function keyAt(source, inner) {
  if (!source) return null;
  if (source.items) return source.items.find((item) => item.path === inner)?.key ?? null;
  return inner.includes('/') ? null : inner;
}

// Returns { config, text, where, errors }: `config` is the `agent:` mapping with defaults applied,
// `text` the file as written.
export function agentConfig(deployment, container, index) {
  const podSpec = deployment.object.spec?.template?.spec ?? {};
  const file = configPath(container);
  const where = `${deployment.label}: ${file}`;
  const found = mountFor(container, podSpec, file);
  if (!found?.volume?.configMap) {
    return { errors: [`${where}: the agent's configuration file is not on a ConfigMap volume`] };
  }
  const name = found.volume.configMap.name;
  const key = keyAt(found.volume.configMap, found.inner);
  const configMap = index.get('ConfigMap', name);
  if (!configMap) return { errors: [`${where}: ConfigMap ${name} is not among the manifests`] };
  const text = key === null ? undefined : configMap.object.data?.[key];
  if (typeof text !== 'string') {
    return { errors: [`${where}: ConfigMap ${name} has no key ${key ?? found.inner} for it`] };
  }
  const doc = YAML.parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    return { errors: [`${configMap.label}: ${key}: ${doc.errors[0].message.split('\n')[0]}`] };
  }
  const agent = doc.toJS()?.agent ?? {};
  return { config: withDefaults(agent), text, where: `${configMap.label} (${key})`, errors: [] };
}

function withDefaults(agent) {
  const merged = { ...DEFAULTS, ...agent };
  for (const section of ['http', 'redis', 'cache']) merged[section] = { ...DEFAULTS[section], ...(agent[section] ?? {}) };
  return merged;
}

// The Redis a redis.url names (the login part may hold ${VAR}; null for unix:// or a bad URL):
//   redis://:pw@host:6379/0, rediss://...            -> { tls, host, port }
//   redis+sentinel://:pw@s1:26379,s2/master/0, rediss+sentinel://...
//                                                    -> { tls, sentinels: [{ host, port }], master }
// Sentinels listen on 26379 unless a port is given; rediss+sentinel speaks TLS to both.
export function redisEndpoint(url) {
  const m = /^(rediss?)(\+sentinel)?:\/\/(?:.*@)?([^@/]+)(?:\/(.*))?$/.exec(String(url));
  if (!m) return null;
  const tls = m[1] === 'rediss';
  if (!m[2]) {
    const server = hostPort(m[3], 6379);
    return server && { tls, ...server };
  }
  const sentinels = m[3].split(',').map((address) => hostPort(address, 26379));
  const master = (m[4] ?? '').split('/')[0];
  return sentinels.includes(null) || !master ? null : { tls, sentinels, master };
}

// "host:port" or "host" -> { host, port }
export function hostPort(text, defaultPort) {
  const m = /^([^:\s]+)(?::(\d+))?$/.exec(String(text).trim());
  return m ? { host: m[1], port: Number(m[2] ?? defaultPort) } : null;
}

// "http://host:3000/x" -> { host, port } with the scheme's default port.
export function httpEndpoint(url) {
  try {
    const u = new URL(url);
    return { host: u.hostname, port: Number(u.port || (u.protocol === 'https:' ? 443 : 80)) };
  } catch {
    return null;
  }
}

// The streams the agent consumes: agent.redis.streams (comma-separated), else stream_name. Its
// ${VAR} and ${VAR:-default} are expanded from the container's literal env values, as the agent
// expands them from its environment (a variable set from elsewhere stays as written).
export function agentStreams(config, container) {
  const values = new Map((container?.env ?? []).filter((e) => typeof e.value === 'string').map((e) => [e.name, e.value]));
  const text = String(config.redis.streams ?? config.redis.stream_name).replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g,
    (whole, name, fallback) => values.get(name) || fallback || (values.has(name) ? '' : whole),
  );
  const streams = text.split(',').map((s) => s.trim()).filter(Boolean);
  return streams.length > 0 ? streams : [config.redis.stream_name];
}

// "0.0.0.0:9090" or "[::]:9090" -> 9090
export function listenPort(listen) {
  const m = /:(\d+)$/.exec(String(listen));
  return m ? Number(m[1]) : NaN;
}
