// npm run build:platforms [-- --only linux-arm64-gnu,win32-x64-gnu]
//
// Release-builds the addon for every target of package.json `napi.targets`
// (or the ones named), one after the other, and puts each binary in its
// platform package: npm/<platform>/<binary>.<platform>.node. Installs what is
// missing first: rustup targets, Zig + cargo-zigbuild (PyPI, in a
// virtualenv), Debian's MinGW, LLD and LLVM. Cargo's caching makes a re-run cheap.
//
// On the Linux x64 development/CI machine:
//   linux-x64-gnu      native `napi build` (the binary the whole test suite uses)
//   linux-*            cargo-zigbuild: Zig links for glibc and musl without a
//                      per-target sysroot
//   darwin-*           cargo-zigbuild compiles, LLVM's ld64.lld links against
//                      Zig's libSystem stubs (scripts/ld64-lld.mjs): no Apple SDK
//   win32-x64-gnu      Debian's MinGW-w64 gcc (Windows-MSVC needs Microsoft's
//                      SDK, which cannot be installed here); an empty
//                      libnode.dll for napi-build (see ensureLibnodeStub)
// On a machine of the target's own OS and CPU (the release workflow's macOS
// and arm64 runners) it is a plain native `cargo build`.

import { existsSync, readdirSync } from 'node:fs';
import { copyFile, mkdir, rename, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import {
  HOST,
  BINARY,
  ensureApt,
  ensureLibnodeStub,
  ensureMacosLibs,
  ensureRustTargets,
  ensureZig,
  megabytes,
  output,
  root,
  run,
  selectedPlatforms,
} from './platforms.mjs';

const crate = BINARY.replaceAll('-', '_');

/**
 * rustc flags that shorten the source paths compiled into panic locations
 * (`/root/.cargo/registry/src/index.crates.io-…/tokio-1.x/src/…` becomes
 * `crates/tokio-1.x/src/…`): smaller binaries, and no build machine's paths
 * in them.
 */
function remapSourcePaths() {
  const registry = path.join(
    process.env.CARGO_HOME ?? path.join(homedir(), '.cargo'),
    'registry',
    'src',
  );
  const indexes = existsSync(registry) ? readdirSync(registry) : [];
  return [
    ...indexes.map((index) => `--remap-path-prefix=${path.join(registry, index)}=crates`),
    `--remap-path-prefix=${root}=.`,
  ].join(' ');
}

/**
 * How a platform is built on a machine whose Rust host is `hostTriple`, and
 * where the library lands.
 */
function recipe(platform, hostTriple) {
  if (platform === HOST && hostTriple === HOST.triple) {
    // `npm run build`: also writes binding.d.ts.
    return {
      how: 'napi build (native)',
      built: path.join(root, platform.nodeFile),
      command: [
        'npx',
        ['napi', 'build', '--platform', '--release', '--no-js', '--dts', 'binding.d.ts'],
      ],
    };
  }
  const dir = path.join(root, 'target', platform.triple, 'release');
  const file = { linux: `lib${crate}.so`, darwin: `lib${crate}.dylib`, win32: `${crate}.dll` }[
    platform.platform
  ];
  const built = path.join(dir, file);
  const cargoArgs = ['--release', '--lib', '--target', platform.triple];
  // A macOS machine's Apple toolchain links both CPUs.
  const native =
    platform.triple === hostTriple ||
    (platform.platform === 'darwin' && hostTriple.endsWith('-apple-darwin'));
  if (native)
    return { how: 'cargo build (native)', built, command: ['cargo', ['build', ...cargoArgs]] };
  if (platform.platform === 'win32') {
    return {
      how: 'cargo build + MinGW-w64 gcc, opt-level z, system allocator',
      built,
      command: ['cargo', ['build', ...cargoArgs]],
      mingw: true,
      // At opt-level 3 the MinGW build is 7.0 MB (its code alone 5.2 MB,
      // against 3.5 MB for Linux x64), over the 6 MB limit; optimising for
      // size, leaving mimalloc out (src/lib.rs) and shortening the ~900
      // source paths in panic locations bring it under.
      env: {
        CARGO_PROFILE_RELEASE_OPT_LEVEL: 'z',
        CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUSTFLAGS: remapSourcePaths(),
      },
    };
  }
  const zigbuild = ['cargo', ['zigbuild', ...cargoArgs]];
  if (platform.platform === 'darwin') {
    return { how: 'cargo zigbuild + ld64.lld', built, command: zigbuild, zig: true, lld: true };
  }
  return { how: 'cargo zigbuild', built, command: zigbuild, zig: true };
}

async function main() {
  const platforms = selectedPlatforms();
  const hostTriple = (await output('rustc', ['-vV'])).match(/^host: (\S+)$/m)[1];
  const recipes = new Map(platforms.map((p) => [p, recipe(p, hostTriple)]));
  await ensureRustTargets(platforms.map((p) => p.triple));
  const env = { ...process.env };
  if ([...recipes.values()].some((r) => r.zig)) env.PATH = await ensureZig();
  if ([...recipes.values()].some((r) => r.lld)) {
    await ensureApt([
      ['/usr/bin/ld64.lld-14', 'lld-14'],
      ['/usr/bin/llvm-strip', 'llvm'],
    ]);
    env.NEXTAUTH_CHATBOTKIT_MACOS_LIBS = await ensureMacosLibs();
  }
  if ([...recipes.values()].some((r) => r.mingw)) {
    await ensureApt([['/usr/bin/x86_64-w64-mingw32-gcc', 'gcc-mingw-w64-x86-64']]);
    env.LIBNODE_PATH = await ensureLibnodeStub();
  }

  const results = [];
  for (const platform of platforms) {
    const { how, built, command, lld, env: recipeEnv } = recipes.get(platform);
    console.log(`\n== ${platform.name} (${platform.triple}): ${how}`);
    const started = Date.now();
    const linker = `CARGO_TARGET_${platform.triple.toUpperCase().replaceAll('-', '_')}_LINKER`;
    const targetEnv = { ...env, ...recipeEnv };
    if (lld) targetEnv[linker] = path.join(root, 'scripts', 'ld64-lld.mjs');
    await run(command[0], command[1], { env: targetEnv });
    // rustc's `strip = "symbols"` needs Apple's strip, which is not here:
    // LLVM's drops the local symbols (the exported ones stay).
    if (lld) await run('llvm-strip', ['-x', built]);
    await mkdir(platform.dir, { recursive: true });
    // Through a temporary name: a concurrent reader never sees half a file.
    const partial = `${platform.binary}.${process.pid}.partial`;
    await copyFile(built, partial);
    await rename(partial, platform.binary);
    const { size } = await stat(platform.binary);
    results.push({ platform, how, size, seconds: Math.round((Date.now() - started) / 1000) });
  }

  console.log('\nplatform           size     time  built with');
  for (const { platform, how, size, seconds } of results) {
    console.log(
      `${platform.name.padEnd(18)} ${megabytes(size).padStart(7)} ${`${seconds} s`.padStart(6)}  ${how}`,
    );
  }
}

main().catch((error) => {
  console.error(`build:platforms: ${error.message}`);
  process.exitCode = 1;
});
