'use strict';
// The C addon, quire.node. Kept apart from index.js so that the tests may
// call it raw.

const fs = require('node:fs');
const path = require('node:path');

module.exports = loadAddon();

/** Loads quire.node: $QUIRE_NODE_ADDON, else the one `npm install` built
 * (build/Release), else a CMake build in or above here. */
function loadAddon() {
  const candidates = [
    process.env.QUIRE_NODE_ADDON,
    path.join(__dirname, '..', 'build', 'Release', 'quire.node'),
    path.join(__dirname, '..', 'build', 'quire.node'),
    path.join(__dirname, '..', '..', '..', 'build', 'bindings', 'node', 'quire.node'),
  ].filter(Boolean);
  for (const file of candidates) {
    if (fs.existsSync(file)) return require(file);
  }
  throw new Error(
    `quire.node not found (looked in ${candidates.join(', ')}); \`npm install\` ` +
      'builds it (or `node tools/build.js` in this folder)',
  );
}
