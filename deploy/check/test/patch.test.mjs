// The checker reads an overlay the way kustomize builds it: a directory resource brings in its own
// kustomization, and `patches` merge into the objects by kind and name, strategically for
// Kubernetes' kinds and as JSON merge patches for KEDA's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import YAML from 'yaml';
import { loadAll } from '../lib/load.mjs';
import { mergePatch } from '../lib/patch.mjs';
import { DEPLOY, VARIANTS, expectError } from './support.mjs';

const POD_KEYS = { 'spec.containers': 'name', 'spec.containers.env': 'name', 'spec.containers.volumeMounts': 'mountPath' };

test('a strategic merge merges containers, env and mounts by their keys and replaces other lists', () => {
  const base = { spec: { containers: [{ name: 'a', args: ['x', 'y'], env: [{ name: 'A', value: '1' }],
    volumeMounts: [{ name: 'v', mountPath: '/v' }] }, { name: 'b' }] } };
  const merged = mergePatch(base, { spec: { containers: [{ name: 'a', args: ['z'], env: [{ name: 'B', value: '2' }],
    volumeMounts: [{ name: 'w', mountPath: '/v', readOnly: true }] }] } }, POD_KEYS);
  const a = merged.spec.containers[0];
  assert.deepEqual(merged.spec.containers.map((c) => c.name), ['a', 'b']);
  assert.deepEqual(a.args, ['z']);
  assert.deepEqual(a.env.map((e) => e.name), ['B', 'A']); // new items first, as kustomize does
  assert.deepEqual(a.volumeMounts, [{ name: 'w', mountPath: '/v', readOnly: true }]);
  assert.equal(base.spec.containers[0].env.length, 1, 'the base is left as it was');
});

test('a JSON merge (custom resources) replaces lists whole, and a null removes a key', () => {
  const base = { spec: { triggers: [{ name: 'lag', metadata: { a: '1' } }, { name: 'pending' }], pollingInterval: 10 } };
  const merged = mergePatch(base, { spec: { triggers: [{ name: 'lag', metadata: { b: '2' } }], pollingInterval: null } });
  assert.deepEqual(merged, { spec: { triggers: [{ name: 'lag', metadata: { b: '2' } }] } });
});

// The overlays' objects as `kubectl kustomize` builds them, where kubectl is installed.
const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
test('the checker sees each variant of deploy/ as kustomize builds it', { skip: !kubectl && 'no kubectl' }, () => {
  for (const [variant, [dir]] of Object.entries(VARIANTS)) {
    const built = spawnSync('kubectl', ['kustomize', dir], { cwd: DEPLOY, encoding: 'utf8' });
    assert.equal(built.status, 0, built.stderr);
    const theirs = YAML.parseAllDocuments(built.stdout, { version: '1.1' }).map((d) => d.toJS());
    const ours = loadAll([dir], DEPLOY).manifests.filter((m) => m.kind !== 'Kustomization');
    assert.equal(ours.length, theirs.length, variant);
    for (const object of theirs) {
      delete object.metadata.namespace; // set by the base's kustomization, not by the checker
      const mine = ours.find((m) => m.kind === object.kind && m.name === object.metadata.name);
      assert.deepEqual(mine?.object, object, `${variant}: ${object.kind}/${object.metadata.name}`);
    }
  }
});

// A temporary overlay of deploy/base with the given files.
function withOverlay(files, fn) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'raibid-overlay-'));
  try {
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
    return fn(loadAll([dir], DEPLOY));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
const KUSTOMIZATION = `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [${path.join(DEPLOY, 'base')}]\n`;

test('an inline patch applies like a patch file', () => {
  const patch = 'apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: raibid-agent}\nspec: {maxReplicaCount: 3}\n';
  const so = withOverlay({ 'kustomization.yaml': `${KUSTOMIZATION}patches:\n  - patch: |\n${patch.replace(/^/gm, '      ')}` },
    (loaded) => loaded.manifests.find((m) => m.kind === 'ScaledObject'));
  assert.equal(so.object.spec.maxReplicaCount, 3);
  assert.match(so.label, /scaledobject.yaml \(patched by an inline patch\): ScaledObject\/raibid-agent/);
});

test('a patch of an object the resources do not hold, or of a list of operations, is an error', () => {
  withOverlay({
    'kustomization.yaml': `${KUSTOMIZATION}patches:\n  - path: p.yaml\n  - path: ops.yaml\n`,
    'p.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: no-such}\ndata: {a: b}\n',
    'ops.yaml': '- {op: replace, path: /spec/maxReplicaCount, value: 3}\n',
  }, (loaded) => {
    expectError(loaded.errors, /p.yaml: patches ConfigMap\/no-such, which is not among the kustomization's resources/);
    expectError(loaded.errors, /ops.yaml: not a partial object \(JSON 6902 patches are not supported here\)/);
  });
});

test('a directory resource needs a kustomization.yaml', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'raibid-deploy-check-'));
  try {
    fs.mkdirSync(path.join(dir, 'empty'));
    fs.writeFileSync(path.join(dir, 'kustomization.yaml'), 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [empty]\n');
    expectError(loadAll([dir]).errors, /resource empty is a directory without a kustomization.yaml/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
