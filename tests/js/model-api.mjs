// The package entry for model tests, plus small helpers they share.
export * from '../../dist/index.js';
import { presetUrls } from '../../dist/index.js';
export const probeUrlsForTests = (name) => presetUrls(name);
