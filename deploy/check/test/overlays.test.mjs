// The overlays deploy/redis-tls and deploy/redis-sentinel pass the checker, and the checker fails
// each way the agent and KEDA could disagree about a production Redis: TLS (said once, on every
// trigger, never against a plain Redis), a client certificate without its key, the sentinels and
// the master name, the sentinels' login, the ports the NetworkPolicy admits, the CA's Secret.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import YAML from 'yaml';
import { redisEndpoint } from '../lib/agent_config.mjs';
import { validateLoaded } from '../validate.mjs';
import { agent, errorsAfter, expectError, find, load } from './support.mjs';

const TLS = 'redis-tls';
const SENTINEL = 'redis-sentinel';
const triggers = (change) => (s) => s.spec.triggers.forEach(change);

test('the overlays as committed are valid', () => {
  for (const [variant, secret] of [[TLS, 'raibid-redis-tls'], [SENTINEL, 'raibid-redis-sentinel']]) {
    const loaded = load(variant);
    assert.deepEqual(validateLoaded(loaded).errors, [], variant);
    assert.ok(find(loaded, 'Secret', secret), `${variant} has no example Secret ${secret}`);
  }
});

test('the overlays change nothing of the agent configuration but agent.redis', () => {
  const config = (variant) => {
    const agentYaml = YAML.parse(find(load(variant), 'ConfigMap').object.data['agent.yaml']).agent;
    delete agentYaml.redis;
    return agentYaml;
  };
  assert.deepEqual(config(TLS), config('base'));
  assert.deepEqual(config(SENTINEL), config('base'));
});

test('redis.url is read with TLS and behind Sentinel', () => {
  assert.deepEqual(redisEndpoint('rediss://:${P}@redis:6380/1'), { tls: true, host: 'redis', port: 6380 });
  assert.deepEqual(redisEndpoint('redis+sentinel://:pw@s0:26380,s1/mymaster/2'),
    { tls: false, sentinels: [{ host: 's0', port: 26380 }, { host: 's1', port: 26379 }], master: 'mymaster' });
  assert.equal(redisEndpoint('rediss+sentinel://s0/m').tls, true);
  assert.equal(redisEndpoint('redis+sentinel://s0/'), null);
});

test('a rediss:// agent needs TLS on every trigger', () => {
  const errors = errorsAfter('TriggerAuthentication', (a) => {
    a.spec.secretTargetRef = a.spec.secretTargetRef.filter((r) => r.parameter !== 'tls');
  }, undefined, TLS);
  for (const i of [0, 1]) {
    expectError(errors, new RegExp(`triggers\\[${i}\\]: the agent's Redis speaks TLS \\(agent.redis.url rediss://\\) and this trigger does not`));
  }
  expectError(errorsAfter('Secret', (s) => { s.stringData.tls = 'disable'; }, 'raibid-redis-tls', TLS), /this trigger does not/);
  expectError(errorsAfter('Secret', (s) => { s.stringData.tls = 'yes'; }, 'raibid-redis-tls', TLS),
    /TriggerAuthentication raibid-redis gives tls "yes"; KEDA takes enable or disable/);
});

test('a plain redis:// agent with TLS on a trigger is an error', () => {
  expectError(errorsAfter('ScaledObject', (s) => { s.spec.triggers[1].metadata.enableTLS = 'true'; }),
    /triggers\[1\]: TLS is on, but the agent's Redis is plain \(agent.redis.url redis:\/\/\)/);
});

test('the NetworkPolicy admits the TLS port and every sentinel', () => {
  const port = (from, to) => (p) => p.spec.egress.forEach((r) => r.ports.forEach((x) => { if (x.port === from) x.port = to; }));
  expectError(errorsAfter('NetworkPolicy', port(6380, 6379), undefined, TLS), /egress admits no TCP port 6380, needed for agent.redis.url/);
  expectError(errorsAfter('NetworkPolicy', port(26379, 6379), undefined, SENTINEL),
    /egress admits no TCP port 26379, needed for agent.redis.url \(redis-0.redis-headless/);
});

test('the CA file of agent.redis.tls is on a Secret volume holding it', () => {
  expectError(errorsAfter('Deployment', (d) => {
    agent(d).volumeMounts = agent(d).volumeMounts.filter((m) => m.name !== 'redis-tls');
  }, undefined, TLS), /agent.redis.tls.ca_file \/var\/run\/secrets\/raibid\/redis-tls\/ca.crt: not on a Secret volume/);
  expectError(errorsAfter('Secret', (s) => { delete s.stringData['ca.crt']; }, 'raibid-redis-tls', TLS),
    /agent.redis.tls.ca_file .*: Secret raibid-redis-tls has no key ca.crt/);
});

test('a Sentinel agent needs redis-sentinel-streams triggers, and only it', () => {
  expectError(errorsAfter('ScaledObject', (s) => { s.spec.triggers[0].type = 'redis-streams'; }, undefined, SENTINEL),
    /triggers\[0\]: type redis-streams, but the agent's Redis is behind Sentinel .*use redis-sentinel-streams/);
  expectError(errorsAfter('ScaledObject', (s) => { s.spec.triggers[1].type = 'redis-sentinel-streams'; }),
    /triggers\[1\]: type redis-sentinel-streams, but the agent's Redis is not behind Sentinel/);
});

test('the sentinels are compared as a set, their port included', () => {
  const reorder = triggers((t) => { t.metadata.addresses = t.metadata.addresses.split(',').reverse().join(','); });
  assert.deepEqual(errorsAfter('ScaledObject', reorder, undefined, SENTINEL), []);
  const noPort = triggers((t) => { t.metadata.addresses = t.metadata.addresses.replaceAll(':26379', ''); });
  expectError(errorsAfter('ScaledObject', noPort, undefined, SENTINEL), /metadata.addresses .* are not the agent's sentinels/);
});

test('the sentinels\' login reaches KEDA too', () => {
  expectError(errorsAfter('TriggerAuthentication', (a) => {
    a.spec.secretTargetRef = a.spec.secretTargetRef.filter((r) => r.parameter !== 'sentinelPassword');
  }, undefined, SENTINEL), /agent logs in to the sentinels \(agent.redis.sentinel.password\) and this trigger does not/);
});
