#!/usr/bin/env node
// Deploy preflight: what CloudFormation and the services would reject, checked on synthesized templates.
//
//   node scripts/preflight/preflight.js [--only cycles,schema,nag,service] TEMPLATE.json...
//
// Checks, each failing with "<template>: <resource>: <problem>. Fix: <fix>":
//   cycles   reference cycles through Ref, Fn::GetAtt, Fn::Sub and DependsOn (CloudFormation: "Circular dependency
//            between resources").
//   schema   properties against the CloudFormation resource schemas in @aws-cdk/aws-service-spec (the database CDK's
//            L1 classes are generated from): unknown resource types, unknown properties, read-only attributes set as
//            properties, missing required properties, wrong types (string, number, integer, boolean, list, map,
//            nested property types, unions), recursively through nested property types.
//   nag      cdk-nag AwsSolutions (v2, which honours the `cdk_nag.rules_to_suppress` metadata in the template), over
//            the template loaded with CfnInclude. Errors and warnings must be fixed or suppressed with a reason.
//   service  service rules no schema expresses (service-rules.js; each rule cites its source).
// Exit code 0 when nothing failed, 1 otherwise, 2 on bad usage.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { findCycles } = require('./cycles');
const { validateSchema } = require('./schema');
const { runNag } = require('./nag');
const { serviceRules } = require('./service-rules');

const ALL = ['cycles', 'schema', 'nag', 'service'];

function main(argv) {
  let only = ALL;
  const files = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--only') only = (argv[++i] ?? '').split(',').filter(Boolean);
    else files.push(argv[i]);
  }
  const unknown = only.filter((c) => !ALL.includes(c));
  if (files.length === 0 || unknown.length > 0 || only.length === 0) {
    console.error(`usage: preflight.js [--only ${ALL.join(',')}] TEMPLATE.json...${unknown.length ? ` (unknown check: ${unknown.join(', ')})` : ''}`);
    return 2;
  }
  const started = process.hrtime.bigint();
  let failures = 0;
  let nagErrors = 0;
  let nagSuppressed = 0;
  for (const file of files) {
    const name = path.basename(file);
    let template;
    try {
      template = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      console.log(`FAIL ${name}: not a readable JSON template (${e.message}). Fix: pass the .template.json files cdk synth writes to cdk.out.`);
      failures++;
      continue;
    }
    if (!template || typeof template.Resources !== 'object') {
      console.log(`FAIL ${name}: no Resources section. Fix: pass a CloudFormation template.`);
      failures++;
      continue;
    }
    const problems = [];
    if (only.includes('cycles')) problems.push(...findCycles(template).map((p) => ({ check: 'cycles', ...p })));
    if (only.includes('schema')) problems.push(...validateSchema(template).map((p) => ({ check: 'schema', ...p })));
    // cdk synth names files <stack>.template.json; the tests prefix a context set: <set>.<stack>.template.json.
    const stackName = name.replace(/\.template\.json$/, '').split('.').pop();
    if (only.includes('service')) problems.push(...serviceRules(template, { stackName }).map((p) => ({ check: 'service', ...p })));
    if (only.includes('nag')) {
      const nag = runNag(file);
      nagErrors += nag.problems.length;
      nagSuppressed += nag.suppressed;
      problems.push(...nag.problems.map((p) => ({ check: 'cdk-nag', ...p })));
      console.log(`     ${name}: cdk-nag AwsSolutions: ${nag.problems.length} unsuppressed, ${nag.suppressed} suppressed with a reason`);
    }
    for (const p of problems) console.log(`FAIL ${name}: ${p.resource}: [${p.check}] ${p.message}${p.fix ? ` Fix: ${p.fix}` : ''}`);
    console.log(`${problems.length === 0 ? 'PASS' : 'FAIL'} ${name}: ${Object.keys(template.Resources).length} resources, ${problems.length} problems (${only.join(', ')})`);
    failures += problems.length;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (only.includes('nag')) console.log(`${nagErrors} unsuppressed cdk-nag errors, ${nagSuppressed} suppressed`);
  console.log(`preflight: ${files.length} templates, ${failures} problems, ${seconds.toFixed(1)} s`);
  return failures === 0 ? 0 : 1;
}

process.exitCode = main(process.argv.slice(2));
