// The engine beside the agent: the Docker-in-Docker base and the rootless Podman overlay pass the
// checker, and the checker holds both to what keeps a step away from the agent's secrets (broken
// fixture files for each check are in fixtures/, run by validate.test.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import YAML from 'yaml';
import { mergePatch } from '../lib/patch.mjs';
import { validateLoaded } from '../validate.mjs';
import { errorsAfter, expectError, find, load } from './support.mjs';

const ROOTLESS = 'rootless-podman';
const pod = (d) => d.spec.template.spec;
const container = (d, name) => pod(d).containers.find((c) => c.name === name);

test('the rootless Podman overlay as committed is valid, with no privileged container', () => {
  const loaded = load(ROOTLESS);
  assert.deepEqual(validateLoaded(loaded).errors, []);
  const d = find(loaded, 'Deployment').object;
  assert.equal(pod(d).hostUsers, false);
  assert.deepEqual(pod(d).containers.map((c) => c.name), ['agent', 'podman']);
  assert.ok(pod(d).containers.every((c) => c.securityContext?.privileged !== true));
});

test('the rootless overlay changes nothing of the agent configuration but agent.docker', () => {
  const config = (variant) => YAML.parse(find(load(variant), 'ConfigMap', 'raibid-agent-config').object.data['agent.yaml']).agent;
  const rootless = config(ROOTLESS);
  const base = config('base');
  assert.deepEqual(rootless.docker, { host: 'unix:///var/run/podman/podman.sock', step_host: 'unix:///var/run/podman/podman.sock' });
  delete rootless.docker;
  delete base.docker;
  assert.deepEqual(rootless, base);
});

test('a strategic merge deletes a list item that says $patch: delete', () => {
  const keys = { 'spec.containers': 'name' };
  const base = { spec: { containers: [{ name: 'a' }, { name: 'b' }] } };
  const merged = mergePatch(base, { spec: { containers: [{ name: 'b', $patch: 'delete' }, { name: 'c' }] } }, keys);
  assert.deepEqual(merged.spec.containers.map((c) => c.name), ['c', 'a']);
});

test('the agent\'s docker endpoint must be a socket the engine serves', () => {
  expectError(errorsAfter('Deployment', (d) => { container(d, 'podman').args = ['exec podman system service --time=0'] }, undefined, ROOTLESS),
    /container podman serves no socket at \/var\/run\/podman\/podman.sock/);
  expectError(errorsAfter('Deployment', (d) => {
    pod(d).volumes.find((v) => v.name === 'dind-socket').hostPath = { path: '/run/dind' };
    delete pod(d).volumes.find((v) => v.name === 'dind-socket').emptyDir;
  }), /volume dind-socket is not an emptyDir shared in the pod/);
});

test('the engine sees the cache at the agent\'s path', () => {
  expectError(errorsAfter('Deployment', (d) => {
    container(d, 'podman').volumeMounts = container(d, 'podman').volumeMounts.filter((m) => m.name !== 'cache');
  }, undefined, ROOTLESS), /container podman does not see agent.cache.path \/var\/cache\/raibid/);
});

test('an unprivileged engine in the DinD base needs hostUsers: false', () => {
  expectError(errorsAfter('Deployment', (d) => { container(d, 'dind').securityContext.privileged = false; }),
    /container dind is an unprivileged engine in the node's user namespace: set hostUsers: false/);
});
