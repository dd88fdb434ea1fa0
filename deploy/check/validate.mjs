#!/usr/bin/env node
// Validates Kubernetes manifests against the Kubernetes and KEDA schemas in schemas/ (strict:
// unknown fields are errors), then checks that they work together (lib/checks.mjs).
//
//   node validate.mjs FILE|DIR...   a kustomization.yaml (or a directory holding one) brings in
//                                   its resources, with its patches applied
//
// Prints one line per problem and exits 1, or prints a summary and exits 0. The CTest test
// deploy_manifests runs it on deploy/kustomization.yaml and deploy/secrets.example.yaml, and
// deploy_manifests_<overlay> on each overlay with the base's Secret templates and its own.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAll } from './lib/load.mjs';
import { SchemaValidator } from './lib/schemas.mjs';
import { crossCheck } from './lib/checks.mjs';

// Returns { errors, manifests } for the files named.
export function validateFiles(files, { cwd = process.cwd() } = {}) {
  const loaded = loadAll(files, cwd);
  return validateLoaded(loaded);
}

let validator = null; // compiled schemas, kept across calls

export function validateLoaded({ manifests, errors: loadErrors, kustomizations }) {
  validator ??= new SchemaValidator();
  const errors = [...loadErrors];
  for (const m of manifests) {
    for (const message of validator.validate(m.object)) errors.push(`${m.label}: ${message}`);
  }
  errors.push(...crossCheck(manifests, kustomizations));
  return { errors, manifests };
}

function main(argv) {
  if (argv.length === 0 || argv.includes('--help')) {
    console.error('usage: validate.mjs FILE|DIR...   (a kustomization.yaml, or a directory with one, brings in its resources)');
    return 2;
  }
  const { errors, manifests } = validateFiles(argv);
  for (const e of errors) console.log(e);
  if (errors.length > 0) {
    console.log(`${errors.length} problem(s) in ${manifests.length} document(s)`);
    return 1;
  }
  const kinds = manifests.map((m) => m.kind).join(', ');
  console.log(`${manifests.length} document(s) valid: ${kinds}`);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  process.exitCode = main(process.argv.slice(2));
}
