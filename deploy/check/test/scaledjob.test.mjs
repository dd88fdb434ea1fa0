// The overlay deploy/scaledjob (one-shot agents, a KEDA ScaledJob per platform queue) passes the
// checker, and the checker fails each way a ScaledJob of agents could go wrong. The fixture
// fixtures/scaledjob-long-running.yaml breaks them all at once; these tests one at a time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateLoaded } from '../validate.mjs';
import { agentStreams } from '../lib/agent_config.mjs';
import { editConfig, errorsAfter, expectError, find, load } from './support.mjs';

const SJ = 'scaledjob';
const AMD = 'raibid-agent-linux-amd64';
const pod = (s) => s.spec.jobTargetRef.template.spec;
const agentOf = (s) => pod(s).containers.find((c) => c.name === 'agent');
const broken = (change) => errorsAfter('ScaledJob', change, AMD, SJ);

test('the scaledjob overlay as committed is valid: a ScaledJob per queue, no Deployment', () => {
  const loaded = load(SJ);
  assert.deepEqual(validateLoaded(loaded).errors, []);
  assert.equal(find(loaded, 'Deployment'), undefined);
  assert.equal(find(loaded, 'ScaledObject'), undefined);
  const streams = loaded.manifests.filter((m) => m.kind === 'ScaledJob').map((m) => m.object.spec.triggers[0].metadata.stream);
  assert.deepEqual(streams, ['ci-jobs:linux-amd64', 'ci-jobs:linux-arm64']);
});

test('the agent of a ScaledJob exits after its job and when there is none', () => {
  const args = (list) => (s) => { agentOf(s).args = list; };
  expectError(broken(args(['--config', '/etc/raibid/agent.yaml', '--exit-after-idle', '2m'])), /args lack --once/);
  assert.deepEqual(broken(args(['--config', '/etc/raibid/agent.yaml', '--max-jobs', '3', '--exit-after-idle=1m'])), []);
  expectError(broken(args(['--config', '/etc/raibid/agent.yaml', '--once'])), /args lack --exit-after-idle/);
});

test('a ScaledJob pod is never restarted in place and has no container beside the agent', () => {
  expectError(broken((s) => { pod(s).restartPolicy = 'OnFailure'; }), /restartPolicy OnFailure should be Never/);
  expectError(broken((s) => {
    const engine = pod(s).initContainers.pop();
    delete engine.restartPolicy;
    pod(s).containers.push(engine);
  }), /container dind beside the agent keeps running after the agent exits/);
});

test('KEDA counts the waiting jobs once: lag, accurate', () => {
  expectError(broken((s) => { s.spec.scalingStrategy.strategy = 'default'; }), /strategy default should be accurate/);
  expectError(broken((s) => { delete s.spec.scalingStrategy; }), /strategy default should be accurate/);
  expectError(broken((s) => {
    s.spec.triggers.push({ type: 'redis-streams', name: 'pending', metadata: { ...s.spec.triggers[0].metadata, lagCount: undefined, activationLagCount: undefined, pendingEntriesCount: '1' } });
    for (const k of ['lagCount', 'activationLagCount']) delete s.spec.triggers[1].metadata[k];
  }), /triggers\[1\] has no lagCount/);
});

test("each ScaledJob's trigger watches the queue its pods consume, in their group", () => {
  expectError(broken((s) => { agentOf(s).env.find((e) => e.name === 'RAIBID_STREAMS').value = 'ci-jobs:linux-riscv64'; }),
    /triggers\[0\]\.metadata\.stream ci-jobs:linux-amd64 is not the agent's stream ci-jobs:linux-riscv64/);
  expectError(broken((s) => { s.spec.triggers[0].metadata.consumerGroup = 'other'; }), /consumerGroup other is not the agent's group ci-workers/);
});

test('the pod of a ScaledJob gets the workload checks of a Deployment', () => {
  expectError(broken((s) => { pod(s).volumes = pod(s).volumes.filter((v) => v.name !== 'git-token'); }),
    /ScaledJob\/raibid-agent-linux-amd64: agent.git.token_file .*: not on a Secret volume/);
  expectError(broken((s) => { pod(s).terminationGracePeriodSeconds = 60; }), /terminationGracePeriodSeconds 60 must exceed/);
  expectError(broken((s) => { pod(s).initContainers[0].resources.limits.memory = '1Gi'; }),
    /container dind: resources.limits.memory is 1Gi/);
});

test('a ScaledObject trigger may watch any of the streams the agent consumes, and no other', () => {
  const streams = editConfig('stream_name: "ci-jobs"', 'streams: "ci-jobs:linux-amd64, ci-jobs:linux-arm64"');
  expectError(errorsAfter('ConfigMap', streams),
    /triggers\[0\]\.metadata\.stream ci-jobs is not the agent's streams ci-jobs:linux-amd64, ci-jobs:linux-arm64/);
  const config = { redis: { stream_name: 'ci-jobs', streams: '${Q:-ci-jobs:x}, b' } };
  assert.deepEqual(agentStreams(config, { env: [{ name: 'Q', value: 'a' }] }), ['a', 'b']);
  assert.deepEqual(agentStreams(config, {}), ['ci-jobs:x', 'b']);
  assert.deepEqual(agentStreams({ redis: { stream_name: 'ci-jobs' } }, {}), ['ci-jobs']);
});
