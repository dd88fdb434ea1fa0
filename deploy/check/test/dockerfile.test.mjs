// The Dockerfile and the manifests describe the same container: the build stage installs every
// -dev package scripts/install-deps.sh does, the runtime stage runs as the user the pod's
// securityContext names, exposes the port the probes use and starts `raibid-agent run`.
// (scripts/image.sh builds and runs the image itself; that is too slow for the test suite.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAll } from '../lib/load.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

// Instructions of each stage, continuation lines joined, comments dropped.
function stages(text) {
  const lines = text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const result = [];
  for (const line of lines) {
    const [instruction, ...rest] = line.split(/\s+/);
    const entry = { instruction: instruction.toUpperCase(), args: rest.join(' ') };
    if (entry.instruction === 'FROM') result.push({ from: entry.args, instructions: [] });
    else if (result.length > 0) result.at(-1).instructions.push(entry);
  }
  return result;
}

const dockerfile = stages(fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'));
const [build, runtime] = dockerfile;
const args = (stage, instruction) => stage.instructions.filter((i) => i.instruction === instruction).map((i) => i.args);

function installDepsPackages() {
  const text = fs.readFileSync(path.join(ROOT, 'scripts', 'install-deps.sh'), 'utf8');
  const block = /^packages=\(([\s\S]*?)^\)/m.exec(text);
  assert.ok(block, 'scripts/install-deps.sh has no packages=( ... ) list');
  return block[1].replace(/#.*$/gm, '').split(/\s+/).filter(Boolean);
}

const deployment = loadAll([path.join(ROOT, 'deploy', 'base', 'deployment.yaml')]).manifests[0].object;
const pod = deployment.spec.template.spec;
const container = pod.containers[0];

test('two stages: build, then a runtime stage from its own base', () => {
  assert.equal(dockerfile.length, 2);
  assert.match(build.from, /^\$\{BUILD_BASE\} AS build$/);
  assert.match(runtime.from, /^\$\{RUNTIME_BASE\} AS runtime$/);
});

test('the build stage installs every -dev package of scripts/install-deps.sh', () => {
  const installed = args(build, 'RUN').join(' ');
  // librust-*-dev are Rust crates' sources for the demo and the cargo benchmark, and
  // libclang-rt-*-dev the fuzzers' sanitizer runtimes: neither is a library the agent links.
  const dev = installDepsPackages().filter(
    (p) => p.endsWith('-dev') && !p.startsWith('librust-') && !p.startsWith('libclang-rt-'));
  assert.ok(dev.length >= 10, `too few -dev packages found: ${dev}`);
  for (const p of dev) assert.match(installed, new RegExp(`(^|\\s)${p.replace(/[+.]/g, '\\$&')}(\\s|$)`), `${p} missing`);
  assert.match(installed, /cmake --build \/build --target raibid-agent/);
});

test('the runtime stage has the tools a job needs and the libraries the binary links', () => {
  const installed = args(runtime, 'RUN').join(' ');
  for (const tool of ['git', 'bash', 'ca-certificates', 'runc']) assert.match(installed, new RegExp(`\\s${tool}\\s`));
  assert.match(installed, /\$\(cat \/tmp\/runtime-packages.txt\)/);
});

test('the runtime user is the non-root user the pod runs as', () => {
  const [user] = args(runtime, 'USER');
  assert.equal(user, '10001:10001');
  assert.equal(pod.securityContext.runAsUser, 10001);
  assert.equal(pod.securityContext.runAsGroup, 10001);
  assert.equal(pod.securityContext.runAsNonRoot, true);
});

test('entrypoint, port and cache volume match the Deployment', () => {
  assert.deepEqual(JSON.parse(args(runtime, 'ENTRYPOINT')[0]), ['raibid-agent', 'run']);
  assert.deepEqual(args(runtime, 'EXPOSE'), [String(container.ports[0].containerPort)]);
  const volumes = JSON.parse(args(runtime, 'VOLUME')[0]);
  assert.ok(container.volumeMounts.some((m) => volumes.includes(m.mountPath) && m.name === 'cache'));
  assert.equal(container.args[0], '--config');
});
