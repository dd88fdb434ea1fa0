// A Kustomization's `patches`, applied the way kustomize applies a patch that is a partial object:
// a strategic merge for Kubernetes' own kinds (the lists that declare a merge key, such as
// containers, volumes, env and volumeMounts, merge item by item on it; other lists are replaced)
// and a JSON merge for custom resources such as KEDA's (every list is replaced). In both a null
// removes the key; in a strategic merge a list item `{name: x, $patch: delete}` removes item x, and
// a patch whose top level says `$patch: delete` removes the object it names (the manifest is marked
// `deleted`; lib/load.mjs drops it). JSON 6902 patches (a list of operations) are not supported here.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

// The merge keys of the lists a strategic merge patch merges (the Kubernetes API's
// x-kubernetes-patch-merge-key), by kind and path; list items add no index to the path. Every
// other list is replaced: Kubernetes' lists without a merge key (NetworkPolicy rules, args) and
// all lists of a custom resource, which kustomize patches as a JSON merge patch.
function podTemplateKeys(podSpec) {
  const keys = { [`${podSpec}.volumes`]: 'name', [`${podSpec}.imagePullSecrets`]: 'name' };
  for (const list of ['containers', 'initContainers']) {
    const c = `${podSpec}.${list}`;
    Object.assign(keys, { [c]: 'name', [`${c}.env`]: 'name', [`${c}.volumeMounts`]: 'mountPath', [`${c}.ports`]: 'containerPort' });
  }
  return keys;
}
const MERGE_KEYS = { Deployment: podTemplateKeys('spec.template.spec') };

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

// `base` with `patch` merged in; `keys` maps list paths to merge keys (none: lists are replaced).
export function mergePatch(base, patch, keys = {}, at = '') {
  if (!isObject(base) || !isObject(patch)) return structuredClone(patch);
  const out = structuredClone(base);
  for (const [key, value] of Object.entries(patch)) {
    const where = at ? `${at}.${key}` : key;
    if (value === null) delete out[key];
    else if (Array.isArray(value) && keys[where] && Array.isArray(out[key])) out[key] = mergeList(out[key], value, keys, where);
    else out[key] = mergePatch(out[key], value, keys, where);
  }
  return out;
}

// Items of `patch` whose key is in `base` merge into them, or remove them when they say
// `$patch: delete`. The order is kustomize's: the patch's items in the patch's order, and the
// base's other items merged in by their place in the base, so new items come before them and an
// item the patch names keeps its place among them.
function mergeList(base, patch, keys, at) {
  const key = keys[at];
  const indexIn = (item) => base.findIndex((b) => isObject(b) && isObject(item) && b[key] === item[key]);
  const named = new Set(patch.map(indexIn).filter((i) => i >= 0));
  const patched = patch.filter((item) => !(isObject(item) && item.$patch === 'delete')).map((item) => {
    const i = indexIn(item);
    return { at: i, item: i >= 0 ? mergePatch(base[i], item, keys, at) : structuredClone(item) };
  });
  const rest = base.map((item, i) => ({ at: i, item })).filter(({ at: i }) => !named.has(i));
  const out = [];
  while (patched.length > 0 && rest.length > 0) out.push((rest[0].at < patched[0].at ? rest : patched).shift().item);
  return [...out, ...patched.map((p) => p.item), ...rest.map((r) => r.item)];
}

// The documents of one `patches` entry, or an error message.
function readPatch(entry, dir, cwd) {
  if ((entry.path === undefined) === (entry.patch === undefined)) return { error: 'a patch needs one of `path` and `patch`' };
  if (typeof entry.path === 'string') {
    const file = path.resolve(dir, entry.path);
    const display = path.relative(cwd, file);
    let text;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      return { error: `patch ${entry.path}: cannot read: ${e.message}` };
    }
    return { display, docs: YAML.parseAllDocuments(text, { version: '1.1' }) };
  }
  return { display: 'an inline patch', docs: YAML.parseAllDocuments(String(entry.patch), { version: '1.1' }) };
}

// Applies the kustomization's patches to `manifests` (the objects its resources brought in,
// changed in place); returns error messages.
export function applyPatches(kustomization, dir, manifests, cwd) {
  const errors = [];
  for (const entry of kustomization.object.patches ?? []) {
    const read = readPatch(entry, dir, cwd);
    if (read.error) {
      errors.push(`${kustomization.label}: ${read.error}`);
      continue;
    }
    for (const doc of read.docs) {
      if (doc.errors.length > 0) {
        errors.push(`${read.display}: ${doc.errors[0].message.split('\n')[0]}`);
        continue;
      }
      const patch = doc.toJS();
      if (!isObject(patch)) {
        errors.push(`${read.display}: not a partial object (JSON 6902 patches are not supported here)`);
        continue;
      }
      const kind = entry.target?.kind ?? patch.kind;
      const name = entry.target?.name ?? patch.metadata?.name;
      const target = manifests.find((m) => m.kind === kind && m.name === name && !m.deleted);
      if (!target) {
        errors.push(`${read.display}: patches ${kind}/${name}, which is not among the kustomization's resources`);
        continue;
      }
      if (patch.$patch === 'delete') {
        target.deleted = true;
        continue;
      }
      target.object = mergePatch(target.object, patch, MERGE_KEYS[kind] ?? {});
      target.file = `${target.file} (patched by ${read.display})`;
    }
  }
  return errors;
}
