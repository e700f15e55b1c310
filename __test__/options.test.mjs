// One definition per option default: src/options.rs owns every option and its
// default, and `optionDefaults()` lists them. The documented defaults (the
// `(default …)` doc tags of index.d.ts, the README's options tables) are held
// to that list here, so that they cannot drift from what the code does.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { optionDefaults } = require('../binding.js');

const root = new URL('..', import.meta.url);
const dts = readFileSync(new URL('index.d.ts', root), 'utf8');
const readme = readFileSync(new URL('README.md', root), 'utf8');
const options = optionDefaults();

/** The options of one scope: name → { type, default, env }. */
function scope(name) {
  return new Map(options.filter((o) => o.scope === name).map((o) => [o.name, o]));
}

/** The members of `export interface name { ... }`: name → { doc, type }. */
function interfaceMembers(name) {
  const start = dts.indexOf(`export interface ${name} `);
  assert.notEqual(start, -1, `index.d.ts declares ${name}`);
  const open = dts.indexOf('{\n', start);
  const body = dts.slice(open + 2, dts.indexOf('\n}\n', open));
  const members = new Map();
  for (const m of body.matchAll(/\/\*\*([\s\S]*?)\*\/\s*(\w+)\??:\s*([^;]+);/g)) {
    members.set(m[2], { doc: m[1].replace(/\s*\n\s*\*\s*/g, ' '), type: m[3].trim() });
  }
  return members;
}

/** The way a default is written: `false`, `10000`, `''` or `'text'`/`` `text` ``. */
function spellings(value) {
  return typeof value === 'string' ? [`'${value}'`, `\`${value}\``] : [String(value)];
}

/** The value a doc comment gives after "default" (or after "else" when an env var comes first). */
function documentedDefault(doc, option) {
  const token = "(`[^`]*`|'[^']*'|[^\\s;:),]+)";
  if (option.env) {
    assert.match(doc, new RegExp(`\`${option.env}\``), `${option.name} names ${option.env}`);
    return doc.match(new RegExp(`else ${token}`))?.[1];
  }
  return doc.match(new RegExp(`\\bdefault:?\\s+${token}`, 'i'))?.[1];
}

test('optionDefaults lists the options with their defaults', () => {
  const adapter = scope('adapter');
  assert.equal(adapter.get('timeout').default, 10000);
  assert.equal(adapter.get('retryDelay').default, 250);
  assert.equal(adapter.get('maxVerificationAttempts').default, 5);
  assert.equal(adapter.get('secret').default ?? null, null);
  assert.equal(adapter.get('baseUrl').env, 'CHATBOTKIT_API_URL');
  assert.equal(scope('redisStore').get('timeout').default, 5000);
  for (const o of options) {
    assert.match(o.scope, /^(adapter|contactAdapter|redisStore|session)$/);
    assert.match(o.type, /^(string|number|boolean|string\[\])$/);
  }
});

const interfaces = [
  ['adapter', 'ChatBotKitPartnerAdapterOptions', ['store']],
  ['contactAdapter', 'ChatBotKitContactAdapterOptions', ['secret']],
  ['redisStore', 'RedisStoreOptions', []],
  ['session', 'ChatBotKitSessionParams', []],
];

for (const [scopeName, interfaceName, notListed] of interfaces) {
  test(`index.d.ts ${interfaceName} documents each ${scopeName} option and its default`, () => {
    const listed = scope(scopeName);
    const members = interfaceMembers(interfaceName);
    // `never` members are the other family's names, refused at run time.
    const declared = [...members]
      .filter(([name, m]) => m.type !== 'never' && !notListed.includes(name))
      .map(([name]) => name);
    const expected = [...new Set([...listed.keys()].map((name) => name.split('.')[0]))];
    assert.deepEqual(declared.sort(), expected.sort());
    for (const [name, option] of listed) {
      const member = members.get(name.split('.')[0]);
      if (option.default == null) {
        assert.doesNotMatch(member.doc, /\(default /i, `${name} has no default`);
        continue;
      }
      const documented = documentedDefault(member.doc, option);
      assert.ok(
        spellings(option.default).includes(documented),
        `${interfaceName}.${name}: documented default ${documented}, the code's ${JSON.stringify(option.default)}`,
      );
    }
  });
}

test('index.d.ts marks each deprecated option @deprecated, and no other', () => {
  const deprecated = options.filter((o) => o.deprecated);
  assert.ok(deprecated.length > 0, "RedisStore's keyPrefix is deprecated");
  for (const [scopeName, interfaceName] of interfaces) {
    const members = interfaceMembers(interfaceName);
    for (const [name, option] of scope(scopeName)) {
      const doc = members.get(name.split('.')[0]).doc;
      if (option.deprecated) {
        assert.match(doc, /@deprecated /, `${interfaceName}.${name} is deprecated`);
        assert.ok(
          doc.includes(option.deprecated),
          `${interfaceName}.${name} names ${option.deprecated}`,
        );
      } else {
        assert.doesNotMatch(doc, /@deprecated/, `${interfaceName}.${name} is not deprecated`);
      }
    }
  }
});

/** The rows of the first table after `heading`: option name → default cell. */
function readmeTable(heading) {
  const start = readme.indexOf(`\n${heading}\n`);
  assert.notEqual(start, -1, `README has ${heading}`);
  const table = readme.slice(readme.indexOf('\n| option | default |', start));
  const rows = new Map();
  for (const line of table.split('\n').slice(3)) {
    if (!line.startsWith('|')) break;
    const [name, cell] = line.split(' | ').map((c) => c.replace(/^\| /, ''));
    rows.set(name.replace(/`/g, ''), cell);
  }
  return rows;
}

/** The value a README default cell gives: its first (or, after an env var, second) code span. */
function tableDefault(cell, option) {
  const spans = [...cell.matchAll(/`([^`]*)`/g)].map((m) => m[1]);
  if (option.env) {
    assert.equal(spans[0], option.env, `${option.name} names ${option.env} first`);
    assert.match(cell, /, else `/);
    return spans[1];
  }
  return spans[0];
}

for (const [scopeName, heading, notListed] of [
  ['adapter', '## Options', ['store']],
  ['contactAdapter', '## Contact adapter', []],
]) {
  test(`the README's table under "${heading}" gives each ${scopeName} option's default`, () => {
    const listed = scope(scopeName);
    const rows = readmeTable(heading);
    assert.deepEqual(
      [...rows.keys()].filter((name) => !notListed.includes(name)).sort(),
      [...listed.keys()].sort(),
    );
    for (const [name, option] of listed) {
      const cell = rows.get(name);
      if (option.default == null) {
        assert.match(cell, /^—/, `${name} has no default`);
        continue;
      }
      const documented = tableDefault(cell, option);
      const expected = option.default === '' ? ["''"] : [String(option.default)];
      assert.ok(
        expected.includes(documented),
        `README ${name}: documented default ${documented}, the code's ${JSON.stringify(option.default)}`,
      );
    }
  });
}
