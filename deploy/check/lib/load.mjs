// Reads manifests the way kubectl does: YAML 1.1 (so `defaultMode: 0440` is octal and `yes` is a
// boolean), several documents per file, and a kustomization.yaml standing for itself plus the
// files it lists under `resources`.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

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

// Loads every file named; a Kustomization also brings in its resources (relative to it).
// Returns { manifests, errors, kustomizations }.
export function loadAll(files, cwd = process.cwd()) {
  const result = { manifests: [], errors: [], kustomizations: [] };
  const seen = new Set();
  const visit = (file) => {
    const absolute = path.resolve(cwd, file);
    if (seen.has(absolute)) return;
    seen.add(absolute);
    const loaded = loadFile(absolute, path.relative(cwd, absolute) || file);
    result.errors.push(...loaded.errors);
    for (const m of loaded.manifests) {
      result.manifests.push(m);
      if (m.kind !== 'Kustomization') continue;
      result.kustomizations.push(m);
      for (const resource of m.object.resources ?? []) {
        if (typeof resource !== 'string') continue;
        const target = path.resolve(path.dirname(absolute), resource);
        if (!fs.existsSync(target)) {
          result.errors.push(`${m.label}: resource ${resource} does not exist`);
        } else if (fs.statSync(target).isDirectory()) {
          result.errors.push(`${m.label}: resource ${resource} is a directory (not supported here)`);
        } else {
          visit(target);
        }
      }
    }
  };
  files.forEach(visit);
  return result;
}
