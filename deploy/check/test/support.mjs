// What the checker's tests share: the variants of deploy/ as committed (the files the CTest test
// deploy_manifests validates), and ways to break one thing in them and expect the message.
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAll } from '../lib/load.mjs';
import { validateLoaded } from '../validate.mjs';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const DEPLOY = path.resolve(HERE, '..', '..');
export const FIXTURES = path.join(HERE, 'fixtures');

// Each variant with its example Secrets, relative to deploy/.
export const VARIANTS = {
  base: ['.', 'secrets.example.yaml'],
  'redis-tls': ['redis-tls', 'secrets.example.yaml', 'redis-tls/secrets.example.yaml'],
  'redis-sentinel': ['redis-sentinel', 'secrets.example.yaml', 'redis-sentinel/secrets.example.yaml'],
  'rootless-podman': ['rootless-podman', 'secrets.example.yaml'],
  scaledjob: ['scaledjob', 'secrets.example.yaml'],
};
export const INPUTS = VARIANTS.base;

export const load = (variant = 'base') => loadAll(VARIANTS[variant], DEPLOY);
export const find = (loaded, kind, name) => loaded.manifests.find((m) => m.kind === kind && (!name || m.name === name));

// Applies `change` to the object of one manifest of a variant and returns the errors.
export function errorsAfter(kind, change, name, variant = 'base') {
  const loaded = load(variant);
  change(find(loaded, kind, name).object);
  return validateLoaded(loaded).errors;
}

export function expectError(errors, pattern) {
  assert.ok(
    errors.some((e) => pattern.test(e)),
    `expected an error matching ${pattern}, got:\n  ${errors.join('\n  ') || '(none)'}`,
  );
}

export const agent = (d) => d.spec.template.spec.containers[0];
export const editConfig = (from, to) => (cm) => {
  assert.ok(cm.data['agent.yaml'].includes(from), `agent.yaml has no ${from}`);
  cm.data['agent.yaml'] = cm.data['agent.yaml'].replace(from, to);
};
