// The manifest checker passes deploy/ as it is, and fails each way deploy/ could be broken: every
// case below changes one thing in the real manifests and expects the message that names it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { Manifest, loadAll, loadFile } from '../lib/load.mjs';
import { validateLoaded } from '../validate.mjs';
import { DEPLOY, FIXTURES, HERE, INPUTS, agent, editConfig, errorsAfter, expectError, find, load } from './support.mjs';

test('deploy/ as committed is valid', () => {
  const { errors, manifests } = validateLoaded(load());
  assert.deepEqual(errors, []);
  const kinds = new Set(manifests.map((m) => m.kind));
  for (const kind of ['Deployment', 'ConfigMap', 'ScaledObject', 'TriggerAuthentication', 'NetworkPolicy', 'PersistentVolumeClaim', 'Secret']) {
    assert.ok(kinds.has(kind), `no ${kind}`);
  }
});

test('manifests are read as YAML 1.1, like kubectl: 0440 is octal', () => {
  const d = find(load(), 'Deployment').object;
  const gitToken = d.spec.template.spec.volumes.find((v) => v.name === 'git-token');
  assert.equal(gitToken.secret.defaultMode, 0o440);
});

test('a misspelt field is an error (strict schema)', () => {
  const errors = errorsAfter('Deployment', (d) => {
    agent(d).livenesProbe = agent(d).livenessProbe;
    delete agent(d).livenessProbe;
  });
  expectError(errors, /containers\[0\]: unknown field "livenesProbe"/);
  expectError(errors, /livenessProbe: missing \(an httpGet on \/healthz\)/);
});

test('a wrong type or a malformed quantity is an error', () => {
  expectError(errorsAfter('Deployment', (d) => { d.spec.template.spec.terminationGracePeriodSeconds = '630'; }),
    /terminationGracePeriodSeconds: must be integer/);
  expectError(errorsAfter('Deployment', (d) => { agent(d).resources.limits.memory = '8 GB'; }),
    /resources\.limits\.memory: must be a quantity such as 4Gi, 500m or 2/);
});

test('the termination grace must outlast the agent drain', () => {
  expectError(errorsAfter('Deployment', (d) => { d.spec.template.spec.terminationGracePeriodSeconds = 300; }),
    /terminationGracePeriodSeconds 300 must exceed agent.shutdown_grace_seconds 600/);
  expectError(errorsAfter('ConfigMap', editConfig('shutdown_grace_seconds: 600', 'shutdown_grace_seconds: 900')),
    /terminationGracePeriodSeconds 630 must exceed agent.shutdown_grace_seconds 900/);
});

test('probes must hit the agent endpoints on its listen port', () => {
  expectError(errorsAfter('Deployment', (d) => { agent(d).startupProbe.httpGet.path = '/healthz'; }),
    /startupProbe: path \/healthz should be \/startupz/);
  expectError(errorsAfter('Deployment', (d) => { agent(d).readinessProbe.httpGet.port = 8080; }),
    /readinessProbe: port 8080 is not the agent's http.listen port 9090/);
  expectError(errorsAfter('ConfigMap', editConfig('listen: "0.0.0.0:9090"', 'listen: "0.0.0.0:8080"')),
    /livenessProbe: port http is not the agent's http.listen port 8080/);
});

test('POD_NAME comes from the downward API and every variable the config uses is set', () => {
  const errors = errorsAfter('Deployment', (d) => { agent(d).env = agent(d).env.filter((e) => e.name !== 'POD_NAME'); });
  expectError(errors, /POD_NAME must come from the downward API/);
  expectError(errors, /uses \$\{POD_NAME\} but container agent does not set POD_NAME/);
});

test('the jobs\' resources are reserved on the engine sidecar the jobs run in', () => {
  const engine = (d) => d.spec.template.spec.containers.find((c) => c.name === 'dind');
  expectError(errorsAfter('Deployment', (d) => { engine(d).resources.limits.memory = '2Gi'; }),
    /container dind: resources.limits.memory is 2Gi, agent.resources says 8Gi \(the jobs' containers run in this container's engine\)/);
  expectError(errorsAfter('Deployment', (d) => { delete engine(d).resources.requests; }),
    /container dind: resources.requests.cpu is unset/);
});

test('with the shell executor the agent container holds the jobs\' resources', () => {
  const loaded = load();
  editConfig('executor: docker', 'executor: shell')(find(loaded, 'ConfigMap').object);
  expectError(validateLoaded(loaded).errors, /container agent: resources.requests.cpu is 250m, agent.resources says 2/);
});

test('the NetworkPolicy admits the registry the engine pulls agent.image from', () => {
  const loaded = load();
  editConfig('image: "registry.registry.svc.cluster.local:5000/raibid/rust-builder:latest"',
    'image: "raibid/rust-builder:latest"')(find(loaded, 'ConfigMap').object);
  expectError(validateLoaded(loaded).errors, /egress admits no TCP port 443, needed for agent.image \(docker.io\)/);
});

test('credential files come from Secret volumes holding those keys', () => {
  expectError(errorsAfter('Deployment', (d) => {
    agent(d).volumeMounts = agent(d).volumeMounts.filter((m) => m.name !== 'git-token');
  }), /agent.git.token_file \/var\/run\/secrets\/raibid\/git\/token: not on a Secret volume/);
  expectError(errorsAfter('Secret', (s) => { s.stringData = { tokn: 'x' }; }, 'raibid-git'),
    /Secret raibid-git has no key token/);
  expectError(errorsAfter('Secret', (s) => { s.stringData = {}; }, 'raibid-redis'),
    /env REDIS_PASSWORD: Secret raibid-redis has no key password/);
});

test('the cache volume is a claim at least as large as agent.cache.size', () => {
  expectError(errorsAfter('PersistentVolumeClaim', (p) => { p.spec.resources.requests.storage = '10Gi'; }),
    /requests 10Gi, less than agent.cache.size 50Gi/);
  expectError(errorsAfter('Deployment', (d) => {
    d.spec.template.spec.volumes.find((v) => v.name === 'cache').emptyDir = {};
    delete d.spec.template.spec.volumes.find((v) => v.name === 'cache').persistentVolumeClaim;
  }), /agent.cache.path \/var\/cache\/raibid: not on a PersistentVolumeClaim volume/);
});

test('the work directory is writable under a read-only root file system', () => {
  expectError(errorsAfter('Deployment', (d) => {
    agent(d).volumeMounts = agent(d).volumeMounts.filter((m) => m.name !== 'work');
  }), /\/var\/lib\/raibid\/work is not on a writable volume/);
});

test('the ScaledObject uses redis-streams fields KEDA knows', () => {
  const errors = errorsAfter('ScaledObject', (s) => {
    for (const t of s.spec.triggers) {
      if (t.metadata.lagCount) { t.metadata.lagThreshold = t.metadata.lagCount; delete t.metadata.lagCount; }
    }
  });
  expectError(errors, /"lagThreshold" is not a redis-streams field \(KEDA ignores it/);
  expectError(errors, /minReplicaCount 0 needs a redis-streams trigger with consumerGroup and lagCount/);
});

test('the scaling formula adds triggers that exist', () => {
  expectError(errorsAfter('ScaledObject', (s) => { s.spec.triggers[0].name = 'waiting'; }),
    /advanced.scalingModifiers.formula uses lag, which is no trigger's name/);
});

test('the ScaledObject schema is strict and typed', () => {
  expectError(errorsAfter('ScaledObject', (s) => { s.spec.maxReplicaCount = '8'; }), /spec.maxReplicaCount: must be integer/);
  expectError(errorsAfter('ScaledObject', (s) => { s.spec.minReplicas = 0; }), /spec: unknown field "minReplicas"/);
  expectError(errorsAfter('ScaledObject', (s) => { s.spec.triggers[0].metadata.lagCount = 1; }),
    /triggers\[0\].metadata.lagCount: must be string/);
  expectError(errorsAfter('ScaledObject', (s) => { s.spec.minReplicaCount = 9; }), /minReplicaCount 9 exceeds maxReplicaCount 8/);
});

test('the ScaledObject watches the stream, group and Redis the agents use', () => {
  expectError(errorsAfter('ScaledObject', (s) => { s.spec.triggers[0].metadata.consumerGroup = 'workers'; }),
    /consumerGroup workers is not the agent's group ci-workers/);
  expectError(errorsAfter('ScaledObject', (s) => { s.spec.triggers[1].metadata.address = 'redis:6379'; }),
    /address redis:6379 is not the agent's Redis redis.raibid-ci.svc.cluster.local:6379/);
  expectError(errorsAfter('ScaledObject', (s) => { s.spec.scaleTargetRef.name = 'agent'; }),
    /scaleTargetRef does not name Deployment raibid-agent/);
});

test('the NetworkPolicy admits DNS and every server the agent config names', () => {
  expectError(errorsAfter('NetworkPolicy', (p) => { p.spec.egress = p.spec.egress.filter((r) => r.ports[0].port !== 6379); }),
    /egress admits no TCP port 6379, needed for agent.redis.url/);
  expectError(errorsAfter('NetworkPolicy', (p) => { p.spec.egress = p.spec.egress.filter((r) => r.ports[0].port !== 53); }),
    /egress does not admit DNS/);
  expectError(errorsAfter('ConfigMap', editConfig('url: "http://registry.registry.svc.cluster.local:5000"', 'url: "https://registry.example.com:443"')),
    /egress admits no TCP port 443, needed for agent.registry.url/);
  expectError(errorsAfter('NetworkPolicy', (p) => { p.spec.podSelector.matchLabels['app.kubernetes.io/name'] = 'other'; }),
    /podSelector does not select Deployment raibid-agent's pods/);
});

test('the kustomization lists files that exist, with known fields only', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'raibid-deploy-check-'));
  try {
    const kustomization = path.join(dir, 'kustomization.yaml');
    fs.writeFileSync(kustomization, 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [no-such.yaml]\n');
    expectError(validateLoaded(loadAll([kustomization])).errors, /resource no-such.yaml does not exist/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const loaded = load();
  find(loaded, 'Kustomization').object.resource = ['x.yaml'];
  expectError(validateLoaded(loaded).errors, /Kustomization\/\(no name\): \(top level\): unknown field "resource"/);
});

test('every referenced object must be there, and every kind must have a schema', () => {
  const loaded = load();
  loaded.manifests = loaded.manifests.filter((m) => m.kind !== 'TriggerAuthentication');
  expectError(validateLoaded(loaded).errors, /TriggerAuthentication raibid-redis is not among the manifests/);
  const extra = load();
  extra.manifests.push(new Manifest('service.yaml', 0, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'x' } }));
  expectError(validateLoaded(extra).errors, /no schema for apiVersion v1, kind Service/);
});

// Each fixture replaces the manifests of the same kind and name in a variant of deploy/ (base
// unless a `# variant:` line names an overlay) and lists, in `# expect:` lines, patterns of the
// errors it must produce.
for (const fixture of fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.yaml'))) {
  test(`fixture ${fixture} is rejected`, () => {
    const file = path.join(FIXTURES, fixture);
    const text = fs.readFileSync(file, 'utf8');
    const expects = [...text.matchAll(/^# expect: (.*)$/gm)].map((m) => new RegExp(m[1]));
    assert.ok(expects.length > 0, 'a fixture must say what it expects');
    const broken = loadFile(file).manifests;
    const loaded = load(/^# variant: (.*)$/m.exec(text)?.[1] ?? 'base');
    loaded.manifests = loaded.manifests
      .filter((m) => !broken.some((b) => b.kind === m.kind && b.name === m.name))
      .concat(broken);
    const { errors } = validateLoaded(loaded);
    for (const pattern of expects) expectError(errors, pattern);
  });
}

test('the command line exits 0 on deploy/ and 1 on a broken manifest', () => {
  const run = (...files) => spawnSync(process.execPath, [path.join(HERE, '..', 'validate.mjs'), ...files], { cwd: DEPLOY, encoding: 'utf8' });
  const good = run(...INPUTS);
  assert.equal(good.status, 0, good.stdout + good.stderr);
  assert.match(good.stdout, /11 document\(s\) valid/);
  const bad = run(path.join(FIXTURES, 'networkpolicy-wrong-field.yaml'));
  assert.equal(bad.status, 1, bad.stdout + bad.stderr);
  assert.match(bad.stdout, /unknown field "podSelecter"/);
});
