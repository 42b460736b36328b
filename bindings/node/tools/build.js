'use strict';
// Builds the addon at `npm install` (and bundles the C sources at `npm
// pack`), so that `require('quire')` needs nothing else:
//
//   node tools/build.js          compiles build/Release/quire.node with
//                                node-gyp (npm's own copy) from src/*.c and
//                                libquire's sources in csrc/, against the
//                                running Node's own headers (--nodedir):
//                                nothing is downloaded.
//   node tools/build.js bundle   (re)makes csrc/ from the repository with
//                                scripts/bundle.sh (npm runs it at prepack).
//   node tools/build.js gyp WHAT prints what binding.gyp asks for: the
//                                sources, defines or libraries (-lNAME)
//                                read from csrc/build.txt.
//
// In a checkout of the repository csrc/ is made afresh first; in the npm
// tarball it is shipped.

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const HERE = path.resolve(__dirname, '..');
const CSRC = path.join(HERE, 'csrc');
const BUNDLE_SCRIPT = path.join(HERE, '..', '..', 'scripts', 'bundle.sh');

function bundle() {
  if (!fs.existsSync(BUNDLE_SCRIPT)) {
    throw new Error(`quire: no C sources: neither ${CSRC} nor ${BUNDLE_SCRIPT} exists`);
  }
  execFileSync('bash', [BUNDLE_SCRIPT, CSRC], { stdio: 'inherit' });
}

function buildTxt(kind) {
  return fs.readFileSync(path.join(CSRC, 'build.txt'), 'utf8').split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((words) => words[0] === kind && words.length >= 2)
    .map((words) => words[1]);
}

function gyp(what) {
  let items;
  if (what === 'sources') {
    const c = (dir) => fs.readdirSync(path.join(HERE, dir)).filter((f) => f.endsWith('.c')).sort()
      .map((f) => `${dir}/${f}`);
    items = [...c('src'), ...c('csrc/core')];
  } else if (what === 'defines') {
    items = buildTxt('define');
  } else if (what === 'libraries') {
    items = buildTxt('lib').map((lib) => `-l${lib}`);
  } else {
    throw new Error(`unknown list ${what}`);
  }
  process.stdout.write(items.join('\n') + '\n');
}

/** The node-gyp that came with npm: npm names it to install scripts. */
function nodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules',
      'node-gyp', 'bin', 'node-gyp.js'),
  ].filter(Boolean);
  const found = candidates.find((file) => fs.existsSync(file));
  if (!found) throw new Error(`quire: node-gyp not found (looked in ${candidates.join(', ')})`);
  return found;
}

/** The folder holding the running Node's include/node/node_api.h. */
function nodeDir() {
  const root = path.resolve(path.dirname(process.execPath), '..');
  if (!fs.existsSync(path.join(root, 'include', 'node', 'node_api.h'))) {
    throw new Error(
      `quire: ${root}/include/node/node_api.h is missing: install this Node's headers ` +
        '(Debian: the nodejs package; official builds ship them)',
    );
  }
  return root;
}

/** Whether this is bindings/node of a quire checkout: then csrc/ is made
 * afresh from core/, never reused (it may be stale). */
function inRepository() {
  const root = path.join(HERE, '..', '..');
  const mine = path.join(root, 'bindings', 'node', 'tools', 'build.js');
  return fs.existsSync(BUNDLE_SCRIPT) && fs.existsSync(path.join(root, 'core', 'build.txt')) &&
    fs.existsSync(mine) && fs.realpathSync(mine) === fs.realpathSync(__filename);
}

function build() {
  if (inRepository()) bundle();
  execFileSync(process.execPath, [nodeGyp(), 'rebuild', `--nodedir=${nodeDir()}`], {
    cwd: HERE, stdio: 'inherit',
  });
}

const [command, arg] = process.argv.slice(2);
if (command === 'bundle') bundle();
else if (command === 'gyp') gyp(arg);
else build();
