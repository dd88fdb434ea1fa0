// Reads manifests the way kubectl does: YAML 1.1 (so `defaultMode: 0440` is octal and `yes` is a
// boolean), several documents per file, and a kustomization.yaml standing for itself plus the
// resources it lists, with its patches applied.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { applyPatches } from './patch.mjs';

// One parsed document: where it came from, and the object.
export class Manifest {
  constructor(file, index, object) {
    this.file = file;
    this.index = index;
    this.object = object;
  }

  get kind() {
    return this.object?.kind;
  }

  get name() {
    return this.object?.metadata?.name;
  }

  // "deploy/deployment.yaml: Deployment/raibid-agent"
  get label() {
    const what = this.kind ? `${this.kind}/${this.name ?? '(no name)'}` : `document ${this.index + 1}`;
    return `${this.file}: ${what}`;
  }
}

// Parses one file. Syntax errors come back as messages, not exceptions.
export function loadFile(file, display = file) {
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    return { manifests: [], errors: [`${display}: cannot read: ${e.message}`] };
  }
  const manifests = [];
  const errors = [];
  YAML.parseAllDocuments(text, { version: '1.1', prettyErrors: true, uniqueKeys: true }).forEach((doc, i) => {
    if (doc.errors.length > 0) {
      for (const e of doc.errors) errors.push(`${display}: ${e.message.split('\n')[0]}`);
      return;
    }
    const object = doc.toJS({ maxAliasCount: 100 });
    if (object !== null && object !== undefined) manifests.push(new Manifest(display, i, object));
  });
  return { manifests, errors };
}

// Loads every file named (a directory stands for its kustomization.yaml). A Kustomization also
// brings in its resources, files or directories with a kustomization.yaml of their own, relative
// to it, and applies its `patches` to them (lib/patch.mjs).
// Returns { manifests, errors, kustomizations }.
export function loadAll(files, cwd = process.cwd()) {
  const result = { manifests: [], errors: [], kustomizations: [] };
  const seen = new Set();
  // Returns the objects the file brought in (a Kustomization's resources, patched).
  const visit = (file) => {
    let absolute = path.resolve(cwd, file);
    if (isDirectory(absolute)) absolute = path.join(absolute, 'kustomization.yaml');
    if (seen.has(absolute)) return [];
    seen.add(absolute);
    const loaded = loadFile(absolute, path.relative(cwd, absolute) || file);
    result.errors.push(...loaded.errors);
    const brought = [];
    for (const m of loaded.manifests) {
      result.manifests.push(m);
      if (m.kind !== 'Kustomization') {
        brought.push(m);
        continue;
      }
      result.kustomizations.push(m);
      const dir = path.dirname(absolute);
      const own = (m.object.resources ?? []).flatMap((resource) => visitResource(m, dir, resource));
      result.errors.push(...applyPatches(m, dir, own, cwd));
      brought.push(...own.filter((o) => !o.deleted));
    }
    return brought;
  };
  const visitResource = (kustomization, dir, resource) => {
    if (typeof resource !== 'string') return [];
    const target = path.resolve(dir, resource);
    if (!fs.existsSync(target)) {
      result.errors.push(`${kustomization.label}: resource ${resource} does not exist`);
      return [];
    }
    if (isDirectory(target) && !fs.existsSync(path.join(target, 'kustomization.yaml'))) {
      result.errors.push(`${kustomization.label}: resource ${resource} is a directory without a kustomization.yaml`);
      return [];
    }
    return visit(target);
  };
  files.forEach(visit);
  result.manifests = result.manifests.filter((m) => !m.deleted); // removed by a `$patch: delete`
  return result;
}

function isDirectory(file) {
  return fs.existsSync(file) && fs.statSync(file).isDirectory();
}
