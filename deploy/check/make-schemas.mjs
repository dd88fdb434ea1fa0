// Writes the JSON schemas in schemas/ that validate.mjs checks the manifests against. Run by hand
// when a schema source changes (see schemas/README.md); the output is committed, so the test
// suite needs no network.
//
//   node make-schemas.mjs --swagger swagger.json --crd keda.sh_scaledobjects.yaml \
//       --crd keda.sh_triggerauthentications.yaml --out schemas
//
//   node make-schemas.mjs --definitions-from schemas/scaledobject-keda.sh-v1alpha1.json \
//       --crd keda.sh_scaledjobs.yaml --out schemas
//
// Kubernetes kinds come from the API server's OpenAPI v2 document (swagger.json); KEDA's from the
// openAPIV3Schema of its CustomResourceDefinitions. With --definitions-from instead of --swagger
// only the CRDs are written, their ObjectMeta taken from a schema written earlier. Every schema is made strict the way
// `kubectl apply --validate=strict` is: an object with known properties admits no others (a typo
// such as `livenesProbe` is an error, where the API server would silently drop it).
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

// The Kubernetes kinds the manifests use: schema file name -> swagger definition.
const K8S_KINDS = {
  'deployment-apps-v1.json': 'io.k8s.api.apps.v1.Deployment',
  'configmap-v1.json': 'io.k8s.api.core.v1.ConfigMap',
  'secret-v1.json': 'io.k8s.api.core.v1.Secret',
  'persistentvolumeclaim-v1.json': 'io.k8s.api.core.v1.PersistentVolumeClaim',
  'networkpolicy-networking.k8s.io-v1.json': 'io.k8s.api.networking.v1.NetworkPolicy',
};
const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

// Kubernetes' own grammar of a resource.Quantity ("2", "500m", "4Gi", "1e3").
const QUANTITY_PATTERN =
  '^[+-]?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE][+-]?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$';
const SPECIAL = {
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': {
    title: 'an integer or a string',
    anyOf: [{ type: 'string' }, { type: 'integer' }],
  },
  'io.k8s.apimachinery.pkg.api.resource.Quantity': {
    title: 'a quantity such as 4Gi, 500m or 2',
    anyOf: [{ type: 'string', pattern: QUANTITY_PATTERN }, { type: 'number' }],
  },
};

function parseArgs(argv) {
  const args = { crd: [] };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    if (key === 'crd') args.crd.push(argv[i + 1]);
    else args[key] = argv[i + 1];
  }
  if (!(args.swagger || args['definitions-from']) || !args.out || args.crd.length === 0) {
    throw new Error('usage: make-schemas.mjs --swagger FILE|--definitions-from SCHEMA --crd FILE... --out DIR');
  }
  return args;
}

// Drops documentation and Kubernetes extensions, turns OpenAPI's `nullable` and
// x-kubernetes-int-or-string into JSON Schema, and closes every object that lists its properties.
function strictify(node) {
  if (Array.isArray(node)) return node.map(strictify);
  if (node === null || typeof node !== 'object') return node;
  const out = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'description' || key.startsWith('x-kubernetes-') || key === 'nullable') continue;
    if (key === 'enum' || key === 'required' || key === 'default') out[key] = value;
    else if (key === 'properties') out[key] = mapValues(value, strictify);
    else out[key] = strictify(value);
  }
  if (node['x-kubernetes-int-or-string']) {
    delete out.type;
    out.title = 'an integer or a string';
    out.anyOf = [{ type: 'string' }, { type: 'integer' }];
  }
  if (node.nullable && typeof out.type === 'string') out.type = [out.type, 'null'];
  const open = node['x-kubernetes-preserve-unknown-fields'] || 'additionalProperties' in node;
  if (out.properties && !open) out.additionalProperties = false;
  return out;
}

function mapValues(object, fn) {
  return Object.fromEntries(Object.entries(object).map(([key, value]) => [key, fn(value)]));
}

// The definitions `root` needs, transitively.
function closure(definitions, root) {
  const seen = new Set();
  const visit = (name) => {
    if (seen.has(name)) return;
    if (!definitions[name]) throw new Error(`swagger has no definition ${name}`);
    seen.add(name);
    if (SPECIAL[name]) return;
    JSON.stringify(definitions[name], (key, value) => {
      if (key === '$ref') visit(value.replace('#/definitions/', ''));
      return value;
    });
  };
  visit(root);
  return [...seen].sort();
}

function kindConstraints(gvk) {
  const apiVersion = gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
  return { apiVersion: { type: 'string', const: apiVersion }, kind: { type: 'string', const: gvk.kind } };
}

function kubernetesSchema(definitions, root, source) {
  const defs = {};
  for (const name of closure(definitions, root)) {
    defs[name] = SPECIAL[name] ?? strictify(definitions[name]);
  }
  const gvk = definitions[root]['x-kubernetes-group-version-kind'][0];
  const top = defs[root];
  top.properties = { ...top.properties, ...kindConstraints(gvk) };
  top.required = [...new Set([...(top.required ?? []), 'apiVersion', 'kind', 'metadata'])];
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $comment: `Generated by deploy/check/make-schemas.mjs from ${source}; do not edit.`,
    allOf: [{ $ref: `#/definitions/${root}` }],
    definitions: defs,
  };
}

// A CRD's served version as a schema; its `metadata` (a bare object in a CRD) is Kubernetes'
// ObjectMeta, as the API server treats it.
function crdSchemas(crdFile, definitions, source) {
  const crd = YAML.parse(fs.readFileSync(crdFile, 'utf8'));
  const result = {};
  for (const version of crd.spec.versions.filter((v) => v.served)) {
    const schema = strictify(version.schema.openAPIV3Schema);
    const gvk = { group: crd.spec.group, version: version.name, kind: crd.spec.names.kind };
    schema.properties = { ...schema.properties, ...kindConstraints(gvk), metadata: { $ref: `#/definitions/${OBJECT_META}` } };
    schema.required = [...new Set([...(schema.required ?? []), 'apiVersion', 'kind', 'metadata', 'spec'])];
    const defs = {};
    for (const name of closure(definitions, OBJECT_META)) {
      defs[name] = SPECIAL[name] ?? strictify(definitions[name]);
    }
    const file = `${crd.spec.names.singular}-${crd.spec.group}-${version.name}.json`;
    result[file] = {
      $schema: 'http://json-schema.org/draft-07/schema#',
      $comment: `Generated by deploy/check/make-schemas.mjs from ${path.basename(crdFile)} and ${source}; do not edit.`,
      ...schema,
      definitions: defs,
    };
  }
  return result;
}

// The definitions of a schema written earlier, where `closure` finds them (already strict).
function definitionsFrom(file) {
  const schema = JSON.parse(fs.readFileSync(file, 'utf8'));
  const source = /from \S+ and (\S+);/.exec(schema.$comment ?? '')?.[1] ?? path.basename(file);
  return { definitions: schema.definitions, source };
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const outputs = {};
  let definitions;
  let source;
  if (args.swagger) {
    definitions = JSON.parse(fs.readFileSync(args.swagger, 'utf8')).definitions;
    source = path.basename(args.swagger);
    for (const [file, root] of Object.entries(K8S_KINDS)) {
      outputs[file] = kubernetesSchema(definitions, root, source);
    }
  } else {
    ({ definitions, source } = definitionsFrom(args['definitions-from']));
  }
  for (const crd of args.crd) Object.assign(outputs, crdSchemas(crd, definitions, source));
  fs.mkdirSync(args.out, { recursive: true });
  for (const [file, schema] of Object.entries(outputs)) {
    const text = JSON.stringify(schema, null, 1) + '\n';
    fs.writeFileSync(path.join(args.out, file), text);
    console.log(`${file}: ${text.length} bytes`);
  }
}

main();
