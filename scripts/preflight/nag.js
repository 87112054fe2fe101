'use strict';
// cdk-nag AwsSolutions over a synthesized template, loaded with CfnInclude the way cdk-nag's README shows for
// existing templates. cdk-nag v2 reads each resource's `Metadata.cdk_nag.rules_to_suppress` ({id, reason,
// applies_to}) from the template, so the stack's C# code declares every exception where the resource is made,
// and anyone running cdk-nag on the template sees the same verdicts.
const path = require('node:path');
const { App, Aspects, LegacyStackSynthesizer, Stack } = require('aws-cdk-lib');
const { CfnInclude } = require('aws-cdk-lib/cloudformation-include');
const { AwsSolutionsChecks, NagMessageLevel } = require('cdk-nag');

class CollectingLogger {
  constructor() {
    this.problems = [];
    this.suppressed = 0;
  }
  onCompliance() {}
  onNotApplicable() {}
  onNonCompliance(d) {
    const finding = d.findingId ? `[${d.findingId}]` : '';
    this.problems.push({
      resource: logicalId(d.resource),
      message: `${d.ruleId}${finding} (${d.ruleLevel === NagMessageLevel.ERROR ? 'error' : 'warning'}): ${d.ruleInfo}`,
      fix: `${d.ruleExplanation} Fix it in the stack, or add a cdk-nag suppression with a reason to this resource's metadata (CdkNag.Suppress in infra/IsmsServerless.Infra/Security/CdkNag.cs).`,
    });
  }
  onSuppressed() {
    this.suppressed++;
  }
  onError(d) {
    this.problems.push({ resource: logicalId(d.resource), message: `${d.ruleId} could not run: ${d.errorMessage}`, fix: 'check the resource properties the rule reads.' });
  }
  onSuppressedError() {
    this.suppressed++;
  }
}

function logicalId(resource) {
  // CfnInclude keeps the template's logical ids.
  return resource.logicalId && !resource.logicalId.startsWith('${Token') ? Stack.of(resource).resolve(resource.logicalId) : resource.node.id;
}

function runNag(file) {
  const app = new App({ context: { 'aws:cdk:enable-path-metadata': false } });
  // The legacy synthesizer adds no BootstrapVersion parameter (the included template has its own).
  const stack = new Stack(app, path.basename(file).replace(/\W/g, '-').slice(0, 100), { synthesizer: new LegacyStackSynthesizer(), analyticsReporting: false });
  new CfnInclude(stack, 'Template', { templateFile: file });
  const logger = new CollectingLogger();
  Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true, logIgnores: false, reports: false, additionalLoggers: [logger] }));
  app.synth();
  return { problems: logger.problems, suppressed: logger.suppressed };
}

module.exports = { runNag };
