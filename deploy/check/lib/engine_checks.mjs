// Checks that the agent's steps run in a container engine beside it, never in its own container:
// the docker executor, a unix socket in a volume the agent shares with exactly that engine, the
// engine seeing the jobs' directories at the agent's paths, and privileges kept where they belong
// (a Docker-in-Docker sidecar may be privileged, nothing else; an unprivileged engine runs in a
// pod with a user namespace of its own, hostUsers: false). Each check takes the context built by
// checks.mjs and returns messages.
import path from 'node:path';
import { mountFor } from './agent_config.mjs';

const isPrivileged = (c) => c.securityContext?.privileged === true;
const socketPath = (host) => (String(host ?? '').startsWith('unix://') ? String(host).slice('unix://'.length) : null);

// The engine serving agent.docker.host: { engine, volume, enginePath } or { error }.
export function findEngine({ deployment, container, podSpec, config }) {
  const where = `${deployment.label}: agent.docker.host ${config.docker?.host ?? '(unset)'}`;
  const socket = socketPath(config.docker?.host);
  if (!socket) return { error: `${where}: not a unix:// socket; the engine beside the agent serves one in a shared volume` };
  const found = mountFor(container, podSpec, socket);
  if (!found?.volume) return { error: `${where}: on no volume of container ${container.name}` };
  if (!found.volume.emptyDir) return { error: `${where}: volume ${found.volume.name} is not an emptyDir shared in the pod` };
  const engines = (podSpec.containers ?? []).filter((c) => c !== container)
    .map((c) => ({ c, m: (c.volumeMounts ?? []).find((m) => m.name === found.volume.name) }))
    .filter(({ m }) => m);
  if (engines.length !== 1) {
    return { error: `${where}: ${engines.length} other containers mount volume ${found.volume.name}; the socket's engine must be exactly one` };
  }
  const { c: engine, m } = engines[0];
  const enginePath = path.posix.join(m.mountPath, found.inner);
  const words = [...(engine.command ?? []), ...(engine.args ?? [])].map(String);
  if (!words.some((w) => w.includes(`unix://${enginePath}`))) {
    return { error: `${where}: container ${engine.name} serves no socket at ${enginePath} (its command and args name no unix://${enginePath})` };
  }
  return { engine, volume: found.volume, enginePath };
}

// Steps run in the engine's containers, never in the agent's own.
export function checkExecutor({ deployment, config }) {
  if (config.executor === 'docker') return [];
  return [`${deployment.label}: agent.executor is ${config.executor ?? 'shell'}: steps would run in the agent's container ` +
    `and could read its secrets; use executor: docker with the engine beside the agent`];
}

export function checkEngineSocket(context) {
  if (context.config.executor !== 'docker') return [];
  const found = findEngine(context);
  return found.error ? [found.error] : [];
}

// The engine resolves the jobs' bind mounts on its own file system.
export function checkEngineSeesJobDirectories(context) {
  const { deployment, container, podSpec, config } = context;
  const { engine } = findEngine(context);
  if (!engine) return [];
  const errors = [];
  for (const [key, dir] of [['work_dir', config.work_dir], ['cache.path', config.cache?.path]]) {
    const mine = mountFor(container, podSpec, dir);
    const theirs = mountFor(engine, podSpec, dir);
    if (mine && (!theirs || theirs.volume?.name !== mine.volume?.name || theirs.inner !== mine.inner)) {
      errors.push(`${deployment.label}: container ${engine.name} does not see agent.${key} ${dir} on volume ${mine.volume?.name} ` +
        `at the agent's path; the engine resolves the jobs' bind mounts on its own file system`);
    }
  }
  return errors;
}

// Only a Docker-in-Docker engine may be privileged; with a user namespace of the pod's own nothing
// may, and an unprivileged engine needs that user namespace.
export function checkPrivileges(context) {
  const { deployment, podSpec } = context;
  const { engine } = findEngine(context);
  const userns = podSpec.hostUsers === false;
  const errors = [];
  for (const c of [...(podSpec.initContainers ?? []), ...(podSpec.containers ?? [])]) {
    const where = `${deployment.label}: container ${c.name}`;
    if (isPrivileged(c) && userns) errors.push(`${where} is privileged in a pod with hostUsers: false; the engine there runs unprivileged`);
    else if (isPrivileged(c) && c !== engine) errors.push(`${where} is privileged; only the engine beside the agent may be`);
    if (c.securityContext?.procMount === 'Unmasked' && !userns) {
      errors.push(`${where}: procMount Unmasked needs hostUsers: false`);
    }
  }
  if (engine && !isPrivileged(engine) && !userns) {
    errors.push(`${deployment.label}: container ${engine.name} is an unprivileged engine in the node's user namespace: ` +
      `set hostUsers: false (its containers need a user namespace of the pod's own)`);
  }
  return errors;
}

// A step that reaches a privileged engine can start a privileged container there and own the
// node, the agent's secrets with it.
export function checkStepHost(context) {
  const { deployment, config } = context;
  const stepSocket = socketPath(config.docker?.step_host);
  const { engine } = findEngine(context);
  if (!stepSocket || !engine || !isPrivileged(engine) || stepSocket !== socketPath(config.docker?.host)) return [];
  return [`${deployment.label}: agent.docker.step_host is the privileged engine ${engine.name}'s socket: a step could start ` +
    `a privileged container there and reach the node and the agent's secrets`];
}

export const ENGINE_CHECKS = [checkExecutor, checkEngineSocket, checkEngineSeesJobDirectories, checkPrivileges, checkStepHost];
