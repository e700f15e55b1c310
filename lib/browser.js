'use strict';

// The `browser` export condition. This package is server-only: in a Next.js
// Client Component, importing `server-only` fails the build with "'server-only'
// cannot be imported from a Client Component module" and the import trace;
// elsewhere it throws the same sentence when the module loads.
require('server-only');

module.exports = require('./edge.js');
