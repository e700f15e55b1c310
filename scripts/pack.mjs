// node scripts/pack.mjs [outDir]: the tarballs a user installs.
//
//   1. one per platform package npm/<platform> whose binary is present; for
//      this machine's platform (`linux-x64-gnu`) the binary built at the root
//      (`npm run build`) is copied there first, the others come from
//      `npm run build:platforms`;
//   2. the main package `nextauth-chatbotkit` (the repository root; the `files`
//      list of package.json decides what goes in).
//
// All land in `outDir` (default `dist/`). Prints one tarball path per line.
// Importable: `pack(outDir)` resolves to `{ main, platform, platforms, nodeSha256 }`
// (`platform`: this machine's tarball; `platforms`: every platform's, by name).

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { HOST, PLATFORMS, root } from './platforms.mjs';

export { root };
/** This machine's binary and platform package directory. */
export const NODE_FILE = HOST.nodeFile;
export const PLATFORM_DIR = HOST.dir;

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(command, args, cwd) {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { cwd, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, npm_config_loglevel: 'error' } },
      (error, stdout, stderr) => {
        if (error) {
          error.message += `\n${stderr}`;
          reject(error);
        } else resolve(stdout);
      },
    );
  });
}

/** `npm pack` in `cwd` into `outDir`; the tarball's absolute path. */
async function npmPack(cwd, outDir) {
  const stdout = await run(npm, ['pack', '--json', '--pack-destination', outDir], cwd);
  const [info] = JSON.parse(stdout);
  return path.join(outDir, info.filename);
}

/**
 * Builds the tarballs into `outDir`. Resolves to `{ main, platform, platforms }`
 * (absolute paths) and `nodeSha256`, the hash of this machine's .node packed.
 */
export async function pack(outDir = path.join(root, 'dist')) {
  outDir = path.resolve(outDir);
  const built = path.join(root, NODE_FILE);
  try {
    await stat(built);
  } catch {
    throw new Error(`${NODE_FILE} is missing: run \`npm run build\` (or build:debug) first`);
  }
  await mkdir(outDir, { recursive: true });
  // Copy through a temporary name so a concurrent pack never sees half a file.
  const target = path.join(PLATFORM_DIR, NODE_FILE);
  const partial = `${target}.${process.pid}.partial`;
  await copyFile(built, partial);
  const nodeSha256 = createHash('sha256')
    .update(await readFile(partial))
    .digest('hex');
  await rename(partial, target);
  const platforms = {};
  for (const { name, dir, binary } of PLATFORMS) {
    if (existsSync(binary)) platforms[name] = await npmPack(dir, outDir);
  }
  const main = await npmPack(root, outDir);
  return { main, platform: platforms[HOST.name], platforms, nodeSha256 };
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  try {
    const { main, platforms } = await pack(process.argv[2]);
    for (const tarball of Object.values(platforms)) console.log(tarball);
    console.log(main);
  } catch (error) {
    console.error(`pack: ${error.message}`);
    process.exitCode = 1;
  }
}
