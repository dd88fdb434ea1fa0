// Checks that the Deployment and the agent configuration it mounts agree: probes on the agent's
// HTTP port and paths, a termination grace longer than the agent's drain, the pod name in the
// environment, the credential files and the cache where the configuration says, the jobs' resources
// where the jobs run. Each check takes the context built by checks.mjs and returns messages.
import { parseQuantity, parseSize } from './quantity.mjs';
import { keyAt, listenPort, mountFor } from './agent_config.mjs';

const PROBES = { startupProbe: '/startupz', livenessProbe: '/healthz', readinessProbe: '/readyz' };

export function checkSelector({ deployment }) {
  const spec = deployment.object.spec ?? {};
  const labels = spec.template?.metadata?.labels ?? {};
  const wanted = spec.selector?.matchLabels ?? {};
  return Object.entries(wanted)
    .filter(([k, v]) => labels[k] !== v)
    .map(([k]) => `${deployment.label}: spec.selector label ${k} does not match the pod template's labels`);
}

// The container port a probe or policy names: a number, or a port name of the container.
export function resolvePort(container, port) {
  if (typeof port === 'number') return port;
  return (container.ports ?? []).find((p) => p.name === port)?.containerPort ?? NaN;
}

export function checkProbes({ deployment, container, config }) {
  const want = listenPort(config.http.listen);
  const errors = [];
  for (const [probe, wantedPath] of Object.entries(PROBES)) {
    const http = container[probe]?.httpGet;
    const where = `${deployment.label}: container ${container.name}: ${probe}`;
    if (!http) {
      errors.push(`${where}: missing (an httpGet on ${wantedPath})`);
      continue;
    }
    if (http.path !== wantedPath) errors.push(`${where}: path ${http.path} should be ${wantedPath}`);
    const port = resolvePort(container, http.port);
    if (port !== want) {
      errors.push(`${where}: port ${http.port} is not the agent's http.listen port ${want}`);
    }
  }
  return errors;
}

export function checkGrace({ deployment, podSpec, config }) {
  const grace = podSpec.terminationGracePeriodSeconds ?? 30;
  const drain = Number(config.shutdown_grace_seconds);
  if (grace > drain) return [];
  return [
    `${deployment.label}: terminationGracePeriodSeconds ${grace} must exceed agent.shutdown_grace_seconds ` +
      `${drain}, or the kubelet kills running jobs before the drain ends`,
  ];
}

export function checkPodName({ deployment, container, config }) {
  const errors = [];
  const env = (container.env ?? []).find((e) => e.name === 'POD_NAME');
  if (env?.valueFrom?.fieldRef?.fieldPath !== 'metadata.name') {
    errors.push(`${deployment.label}: container ${container.name}: POD_NAME must come from the downward API (fieldRef metadata.name)`);
  }
  if (!String(config.redis.consumer_name ?? '').includes('${POD_NAME}')) {
    errors.push(`${deployment.label}: agent.redis.consumer_name should be "\${POD_NAME}" so every replica has its own consumer name`);
  }
  return errors;
}

// Every ${VAR} the configuration uses (other than from the shell) is set on the container.
export function checkConfigVariables({ deployment, container, configText }) {
  const names = new Set([...String(configText).matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}/g)]
    .filter((m) => m[2] === undefined)
    .map((m) => m[1]));
  const env = new Set((container.env ?? []).map((e) => e.name));
  return [...names]
    .filter((n) => !env.has(n))
    .map((n) => `${deployment.label}: the agent configuration uses \${${n}} but container ${container.name} does not set ${n}`);
}

// A credential file of the configuration (tokens, passwords, Redis's TLS CA and client
// certificate) is a key of a Secret volume mounted at its directory, and the Secret (when among
// the manifests) holds that key.
export function checkSecretFiles({ deployment, container, podSpec, config, index }) {
  const tls = config.redis.tls ?? {};
  const files = {
    'git.token_file': config.git?.token_file, 'registry.password_file': config.registry?.password_file,
    'redis.tls.ca_file': tls.ca_file, 'redis.tls.cert_file': tls.cert_file, 'redis.tls.key_file': tls.key_file,
  };
  const errors = [];
  for (const [key, file] of Object.entries(files)) {
    if (!file) continue;
    const where = `${deployment.label}: agent.${key} ${file}`;
    const found = mountFor(container, podSpec, file);
    const secret = found?.volume?.secret;
    if (!secret) {
      errors.push(`${where}: not on a Secret volume`);
      continue;
    }
    const secretKey = keyAt(secret, found.inner);
    if (secretKey === null) {
      errors.push(`${where}: Secret volume ${found.volume.name} has no item at ${found.inner}`);
      continue;
    }
    errors.push(...secretHasKey(index, where, secret.secretName, secretKey));
  }
  for (const env of container.env ?? []) {
    const ref = env.valueFrom?.secretKeyRef;
    if (ref) errors.push(...secretHasKey(index, `${deployment.label}: env ${env.name}`, ref.name, ref.key));
  }
  return errors;
}

function secretHasKey(index, where, name, key) {
  const secret = index.get('Secret', name);
  if (!secret) return index.has('Secret') ? [`${where}: Secret ${name} is not among the manifests`] : [];
  const keys = { ...(secret.object.data ?? {}), ...(secret.object.stringData ?? {}) };
  return key in keys ? [] : [`${where}: Secret ${name} has no key ${key}`];
}

export function checkCache({ deployment, container, podSpec, config, index }) {
  const where = `${deployment.label}: agent.cache.path ${config.cache.path}`;
  const found = mountFor(container, podSpec, config.cache.path);
  const claimName = found?.volume?.persistentVolumeClaim?.claimName;
  if (!claimName) return [`${where}: not on a PersistentVolumeClaim volume`];
  const claim = index.get('PersistentVolumeClaim', claimName);
  if (!claim) return [`${where}: PersistentVolumeClaim ${claimName} is not among the manifests`];
  const storage = parseQuantity(claim.object.spec?.resources?.requests?.storage);
  const size = parseSize(config.cache.size);
  if (!(storage >= size)) {
    return [`${claim.label}: requests ${claim.object.spec?.resources?.requests?.storage}, less than agent.cache.size ${config.cache.size}`];
  }
  return [];
}

// With a read-only root file system the work directory and /tmp must be on volumes.
export function checkWritable({ deployment, container, podSpec, config }) {
  if (!container.securityContext?.readOnlyRootFilesystem) return [];
  const errors = [];
  for (const dir of [config.work_dir, '/tmp']) {
    const found = mountFor(container, podSpec, dir);
    if (!found || found.mount.readOnly || found.volume?.configMap || found.volume?.secret) {
      errors.push(`${deployment.label}: ${dir} is not on a writable volume, and the root file system is read-only`);
    }
  }
  return errors;
}

// The container the jobs' resources are spent in: with the docker executor on a unix socket that
// another container of the pod serves from a shared volume, that engine container (the jobs'
// containers are its children, in its cgroup); otherwise the agent's own container.
export function jobContainer({ container, podSpec, config }) {
  const host = String(config.docker?.host ?? '');
  if (config.executor !== 'docker' || !host.startsWith('unix://')) return { target: container, times: 1 };
  const found = mountFor(container, podSpec, host.slice('unix://'.length));
  // A native sidecar (an init container that restarts Always) runs beside the agent too.
  const sidecars = (podSpec.initContainers ?? []).filter((c) => c.restartPolicy === 'Always');
  const engine = found && [...(podSpec.containers ?? []), ...sidecars].find((c) => c !== container &&
    (c.volumeMounts ?? []).some((m) => m.name === found.mount.name));
  if (!engine) return { target: container, times: 1 };
  return { target: engine, times: Math.max(1, Number(config.concurrency ?? 1)), engine: true };
}

// The jobs' `agent.resources` are reserved and capped where the jobs run: equal on the agent's
// container for the shell executor, at least concurrency times as much on an engine sidecar
// (which also needs a little for itself).
export function checkResources(context) {
  const { deployment, config } = context;
  const { target, times, engine } = jobContainer(context);
  const errors = [];
  for (const tier of ['requests', 'limits']) {
    for (const resource of ['cpu', 'memory']) {
      const wanted = config.resources?.[tier]?.[resource];
      if (wanted === undefined) continue;
      const actual = target.resources?.[tier]?.[resource];
      // The agent's sizes and Kubernetes quantities agree on Ki/Mi/Gi and plain numbers.
      const need = parseQuantity(wanted) * times;
      const got = actual === undefined ? NaN : parseQuantity(actual);
      if (engine ? !(got >= need) : got !== need) {
        const says = times > 1 ? `${times} x agent.resources (concurrency ${times}) says ${need}` : `agent.resources says ${wanted}`;
        const why = engine ? ` (the jobs' containers run in this container's engine)` : '';
        errors.push(`${deployment.label}: container ${target.name}: resources.${tier}.${resource} is ${actual ?? 'unset'}, ${says}${why}`);
      }
    }
  }
  return errors;
}

export const WORKLOAD_CHECKS = [
  checkSelector, checkProbes, checkGrace, checkPodName, checkConfigVariables,
  checkSecretFiles, checkCache, checkWritable, checkResources,
];
