// node scripts/pack.mjs [outDir]: the two tarballs a user installs.
//
//   1. the platform package `nextauth-chatbotkit-linux-x64-gnu` (npm/linux-x64-gnu):
//      the built `nextauth-chatbotkit.linux-x64-gnu.node` is copied there first;
//   2. the main package `nextauth-chatbotkit` (the repository root; the `files`
//      list of package.json decides what goes in).
//
// Both land in `outDir` (default `dist/`). Prints one tarball path per line.
// Importable: `pack(outDir)` resolves to `{ main, platform, nodeSha256 }`.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));
export const NODE_FILE = 'nextauth-chatbotkit.linux-x64-gnu.node';
export const PLATFORM_DIR = path.join(root, 'npm', 'linux-x64-gnu');

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
 * Builds both tarballs into `outDir`. Resolves to `{ main, platform }`
 * (absolute paths) and `nodeSha256`, the hash of the .node packed.
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
  const platform = await npmPack(PLATFORM_DIR, outDir);
  const main = await npmPack(root, outDir);
  return { main, platform, nodeSha256 };
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  try {
    const { main, platform } = await pack(process.argv[2]);
    console.log(platform);
    console.log(main);
  } catch (error) {
    console.error(`pack: ${error.message}`);
    process.exitCode = 1;
  }
}
