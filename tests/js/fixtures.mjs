// The small random models of tests/model (PyTorch reference outputs
// included), generated on first use into build/fixtures.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const FIXTURES = fileURLToPath(new URL('../../build/fixtures/', import.meta.url));

export function ensureFixtures() {
  if (!existsSync(FIXTURES + 'manifest.json'))
    execFileSync(
      '/usr/bin/python3',
      [fileURLToPath(new URL('../model/make_fixtures.py', import.meta.url)), '--out', FIXTURES],
      {
        stdio: 'inherit',
      },
    );
  return JSON.parse(readFileSync(FIXTURES + 'manifest.json', 'utf8'));
}

export function fixtureFile(model, file) {
  return readFileSync(`${FIXTURES}${model}/${file}`);
}

export function expected(model) {
  return JSON.parse(readFileSync(`${FIXTURES}${model}/expected.json`, 'utf8'));
}

/** Sources for engine.loadModel from a fixture directory, as bytes. */
export function fixtureSources(model, weights = 'model.safetensors') {
  return {
    config: fixtureFile(model, 'config.json'),
    weights: fixtureFile(model, weights),
    tokenizer: fixtureFile(model, 'tokenizer.json'),
  };
}
