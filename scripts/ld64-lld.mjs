#!/usr/bin/env node
// The macOS linker of the Linux cross-build (scripts/build-platforms.mjs sets
// it as cargo's linker for the two Apple targets; cargo-zigbuild still
// compiles the C code). It runs LLVM's ld64.lld from Debian instead of Zig's
// linker, which ignores `-exported_symbols_list`: with Zig every Rust symbol
// was exported and nothing could be dead-stripped (8 MB instead of ~4 MB).
//
// rustc calls its linker like a C compiler driver; this turns those arguments
// into ld64 ones and links against the libSystem stubs that
// NEXTAUTH_CHATBOTKIT_MACOS_LIBS points at (Zig's, made readable to lld).

import { spawnSync } from 'node:child_process';

const libs = process.env.NEXTAUTH_CHATBOTKIT_MACOS_LIBS;
const lld = process.env.LD64_LLD ?? 'ld64.lld-14';
if (!libs) {
  console.error(
    'ld64-lld: NEXTAUTH_CHATBOTKIT_MACOS_LIBS is not set (run npm run build:platforms)',
  );
  process.exit(1);
}

const args = [];
const input = process.argv.slice(2);
for (let i = 0; i < input.length; i++) {
  const arg = input[i];
  if (arg === '-Wl') continue; // napi-build's `-Wl -undefined dynamic_lookup`
  if (arg.startsWith('-Wl,')) args.push(...arg.slice(4).split(','));
  else if (arg.startsWith('-mmacosx-version-min=')) {
    const version = arg.split('=')[1];
    args.push('-platform_version', 'macos', version, version);
  } else if (arg === '-dynamiclib') args.push('-dylib');
  else if (arg === '-nodefaultlibs' || arg === '-m64' || arg.startsWith('-fuse-ld=')) continue;
  else args.push(arg);
}
// Libraries named but not used (libc's iconv) leave no load command.
args.push('-syslibroot', libs, '-dead_strip_dylibs');

const { status, error } = spawnSync(lld, args, { stdio: 'inherit' });
if (error) console.error(`ld64-lld: ${lld}: ${error.message}`);
process.exit(status ?? 1);
