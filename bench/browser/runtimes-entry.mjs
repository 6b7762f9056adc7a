// Bundled by bench/run.mjs (esbuild) into build/bench/runtimes.js for the page:
// the contenders' packages as installed from npm.
export * as ort from 'onnxruntime-web/wasm';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfWasm from '@tensorflow/tfjs-backend-wasm';
export { tf, tfWasm };
