'use strict'; module.exports = { serviceRules: () => [] };
