'use strict';
// Service rules that no resource schema expresses: what the service itself refuses (or silently breaks) at deploy or
// run time. Each rule cites its source. Values built from tokens are resolved where the template allows: pseudo
// parameters take their longest real value (AWS::StackName the stack's name, from the file name cdk synth writes),
// literals and Fn::Join / Fn::Sub are evaluated; a value that depends on another resource's runtime attribute is
// skipped, never guessed.

const LONGEST = {
  'AWS::Region': 'ap-southeast-5', // 14 characters, the longest region names (ap-southeast-N, ap-northeast-N)
  'AWS::AccountId': '123456789012',
  'AWS::Partition': 'aws-us-gov',
  'AWS::URLSuffix': 'amazonaws.com.cn',
  'AWS::NoValue': '',
};

const SOURCES = {
  cognitoPlans: 'https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-sign-in-feature-plans.html',
  lambdaEnvReserved: 'https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime',
  lambdaQuotas: 'https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html',
  lambdaSqs: 'https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html',
  sqsQuotas: 'https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-queues.html',
  logsRetention: 'https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-logs-loggroup.html#cfn-logs-loggroup-retentionindays',
  eventsQuotas: 'https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html',
  eventsRetry: 'https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_RetryPolicy.html',
  iamQuotas: 'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html',
  kmsQuotas: 'https://docs.aws.amazon.com/kms/latest/developerguide/resource-limits.html',
  snsSqsKms: 'https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services',
  alarmsKms: 'https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger',
  eventsDlqKms: 'https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html',
  alarmPeriod: 'https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html',
  pipesDynamo: 'https://docs.aws.amazon.com/eventbridge/latest/pipes-reference/API_PipeSourceDynamoDBStreamParameters.html',
  names: 'the service API reference of each resource (CreateFunction, CreateRole, PutRule, CreateQueue, CreateTopic, PutMetricAlarm, CreateTable, CreatePipe, CreateApi, PutConfigRule, CreateLogGroup, CreateBucket, CreateUserPoolDomain, CreateGroup)',
};

// Maximum lengths of explicit names and descriptions, after token resolution.
const LENGTHS = [
  ['AWS::Lambda::Function', 'FunctionName', 64], ['AWS::Lambda::Function', 'Description', 256],
  ['AWS::IAM::Role', 'RoleName', 64], ['AWS::IAM::Role', 'Description', 1000], ['AWS::IAM::Policy', 'PolicyName', 128],
  ['AWS::Events::Rule', 'Name', 64], ['AWS::Events::Rule', 'Description', 512],
  ['AWS::SQS::Queue', 'QueueName', 80], ['AWS::SNS::Topic', 'TopicName', 256], ['AWS::SNS::Topic', 'DisplayName', 100],
  ['AWS::CloudWatch::Alarm', 'AlarmName', 255], ['AWS::CloudWatch::Alarm', 'AlarmDescription', 1024],
  ['AWS::DynamoDB::Table', 'TableName', 255], ['AWS::Pipes::Pipe', 'Name', 64], ['AWS::Pipes::Pipe', 'Description', 512],
  ['AWS::ApiGatewayV2::Api', 'Name', 128], ['AWS::Config::ConfigRule', 'ConfigRuleName', 128],
  ['AWS::Logs::LogGroup', 'LogGroupName', 512], ['AWS::S3::Bucket', 'BucketName', 63], ['AWS::CloudTrail::Trail', 'TrailName', 128],
  ['AWS::Cognito::UserPoolDomain', 'Domain', 63], ['AWS::Cognito::UserPoolGroup', 'GroupName', 128],
  ['AWS::Cognito::UserPool', 'UserPoolName', 128], ['AWS::KMS::Key', 'Description', 8192], ['AWS::KMS::Alias', 'AliasName', 256],
];

const RESERVED_ENV = new Set(['_HANDLER', '_X_AMZN_TRACE_ID', 'AWS_DEFAULT_REGION', 'AWS_REGION', 'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME', 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE', 'AWS_LAMBDA_FUNCTION_VERSION', 'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME', 'AWS_LAMBDA_LOG_STREAM_NAME', 'AWS_ACCESS_KEY', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN', 'AWS_LAMBDA_RUNTIME_API', 'LAMBDA_TASK_ROOT', 'LAMBDA_RUNTIME_DIR']);

const LOG_RETENTION_DAYS = new Set([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]);

/** Resolves a value to a string where the template alone determines it; undefined when it depends on a resource. */
function resolve(value, ctx) {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  if ('Ref' in value) {
    if (value.Ref === 'AWS::StackName') return ctx.stackName;
    if (value.Ref in LONGEST) return LONGEST[value.Ref];
    return undefined;
  }
  if ('Fn::Join' in value) {
    const [sep, parts] = value['Fn::Join'];
    if (!Array.isArray(parts)) return undefined;
    const resolved = parts.map((p) => resolve(p, ctx));
    return resolved.some((p) => p === undefined) ? undefined : resolved.join(sep);
  }
  if ('Fn::Sub' in value) {
    const [text, vars] = Array.isArray(value['Fn::Sub']) ? value['Fn::Sub'] : [value['Fn::Sub'], {}];
    let unresolved = false;
    const out = text.replace(/\$\{([^!}][^}]*)\}/g, (_, name) => {
      const v = name in (vars ?? {}) ? resolve(vars[name], ctx) : name === 'AWS::StackName' ? ctx.stackName : LONGEST[name];
      if (v === undefined) unresolved = true;
      return v ?? '';
    });
    return unresolved ? undefined : out;
  }
  return undefined;
}

/** Length of a value with every resource token counted at `tokenLength` (for size quotas, where an estimate is enough). */
function estimatedLength(value, ctx, tokenLength) {
  if (value === null || value === undefined) return 0;
  const exact = resolve(value, ctx);
  if (exact !== undefined) return exact.length;
  if (Array.isArray(value)) return value.reduce((n, v) => n + estimatedLength(v, ctx, tokenLength), 0);
  if (typeof value === 'object') {
    if ('Ref' in value || 'Fn::GetAtt' in value || 'Fn::ImportValue' in value) return tokenLength;
    if ('Fn::Join' in value) return estimatedLength(value['Fn::Join'][1], ctx, tokenLength);
    return Object.entries(value).reduce((n, [k, v]) => n + k.length + 3 + estimatedLength(v, ctx, tokenLength), 0);
  }
  return String(value).length;
}

const props = (r) => r?.Properties ?? {};
const refTo = (v) => (v && typeof v === 'object' ? (v.Ref ?? (Array.isArray(v['Fn::GetAtt']) ? v['Fn::GetAtt'][0] : undefined)) : undefined);

function statementsOf(policy) {
  const s = policy?.Statement;
  return s === undefined ? [] : [].concat(s);
}

/** Does the key policy of key `keyId` let `service` use the key (decrypt or generate data keys)? */
function keyAllowsService(template, keyId, service) {
  const key = template.Resources[keyId];
  if (!key || key.Type !== 'AWS::KMS::Key') return true; // an AWS managed or imported key: not ours to check
  return statementsOf(props(key).KeyPolicy).some((s) => s.Effect === 'Allow'
    && [].concat(s.Principal?.Service ?? []).some((p) => resolve(p, {}) === service)
    && [].concat(s.Action).some((a) => /^kms:(Decrypt|GenerateDataKey\*?|\*)$/.test(a)));
}

function serviceRules(template, options = {}) {
  const ctx = { stackName: options.stackName ?? 'IsmsServerless' };
  const resources = template.Resources ?? {};
  const problems = [];
  const report = (resource, message, fix, source) => problems.push({ resource, message: `${message} (source: ${source})`, fix });
  const ofType = (type) => Object.entries(resources).filter(([, r]) => r.Type === type);

  // Feature plans: threat protection needs the Plus plan.
  for (const [id, pool] of ofType('AWS::Cognito::UserPool')) {
    const mode = props(pool).UserPoolAddOns?.AdvancedSecurityMode;
    const tier = props(pool).UserPoolTier ?? 'ESSENTIALS';
    if ((mode === 'ENFORCED' || mode === 'AUDIT') && tier !== 'PLUS')
      report(id, `AdvancedSecurityMode ${mode} (threat protection) on the ${tier} feature plan; Cognito refuses it with FeatureUnavailableInTierException.`,
        'set UserPoolTier: PLUS (context statusPageFeaturePlan=plus) or turn threat protection off (statusPageFeaturePlan=essentials).', SOURCES.cognitoPlans);
  }

  // Names and descriptions after token resolution.
  for (const [type, property, max] of LENGTHS) {
    for (const [id, r] of ofType(type)) {
      if (!(property in props(r))) continue;
      const value = resolve(props(r)[property], ctx);
      if (value !== undefined && value.length > max)
        report(id, `${property} is ${value.length} characters after resolving tokens ("${value.slice(0, 80)}${value.length > 80 ? '…' : ''}"); ${type} allows ${max}.`,
          `shorten the ${property} (or the stack name it is built from).`, SOURCES.names);
      if (type === 'AWS::Cognito::UserPoolDomain' && value !== undefined && !value.includes('.')
        && (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(value) || /aws|amazon|cognito/.test(value)))
        report(id, `Domain prefix "${value}" is not lower-case letters, digits and hyphens, or contains aws/amazon/cognito; Cognito refuses it.`,
          'choose another statusPageDomainPrefix.', SOURCES.names);
      if (type === 'AWS::S3::Bucket' && value !== undefined && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(value))
        report(id, `BucketName "${value}" is not 3-63 lower-case letters, digits, dots and hyphens.`, 'fix the bucket name.', SOURCES.names);
    }
  }

  // Lambda: reserved environment variables, the 4 KB environment quota, timeout and memory ranges.
  for (const [id, fn] of ofType('AWS::Lambda::Function')) {
    const p = props(fn);
    const variables = p.Environment?.Variables ?? {};
    for (const name of Object.keys(variables))
      if (RESERVED_ENV.has(name)) report(id, `sets the reserved environment variable ${name}; Lambda refuses the function configuration.`, `rename ${name}.`, SOURCES.lambdaEnvReserved);
    // Tokens (a table name, a queue URL) counted at 256 characters each: a generous upper bound for a generated name or URL.
    const size = Object.entries(variables).reduce((n, [k, v]) => n + k.length + estimatedLength(v, ctx, 256), 0);
    if (size > 4096)
      report(id, `environment variables total about ${size} bytes (tokens counted at 256); Lambda allows 4 KB in aggregate.`,
        'move large settings (e.g. ISMS_SETTINGS) to an SSM parameter or the package.', SOURCES.lambdaQuotas);
    const timeout = Number(resolve(p.Timeout, ctx) ?? 3);
    if (!(timeout >= 1 && timeout <= 900)) report(id, `Timeout ${timeout} s is outside 1-900 s.`, 'set a timeout of at most 900 seconds.', SOURCES.lambdaQuotas);
    const memory = Number(resolve(p.MemorySize, ctx) ?? 128);
    if (!(memory >= 128 && memory <= 10240)) report(id, `MemorySize ${memory} MB is outside 128-10240 MB.`, 'set a memory size from 128 to 10240 MB.', SOURCES.lambdaQuotas);
  }

  // SQS event sources: visibility timeout at least the function timeout; batching window for batches above 10.
  for (const [id, mapping] of ofType('AWS::Lambda::EventSourceMapping')) {
    const p = props(mapping);
    const queueId = refTo(p.EventSourceArn);
    const queue = resources[queueId];
    if (!queue || queue.Type !== 'AWS::SQS::Queue') continue;
    const fn = resources[refTo(p.FunctionName)];
    const visibility = Number(resolve(props(queue).VisibilityTimeout, ctx) ?? 30);
    const timeout = Number(resolve(props(fn).Timeout, ctx) ?? 3);
    if (fn && visibility < timeout)
      report(id, `queue ${queueId} has a visibility timeout of ${visibility} s, less than function ${refTo(p.FunctionName)}'s timeout of ${timeout} s; Lambda refuses the event source mapping.`,
        'set the queue visibility timeout to at least six times the function timeout.', SOURCES.lambdaSqs);
    const batch = Number(resolve(p.BatchSize, ctx) ?? 10);
    if (batch > 10 && !(Number(resolve(p.MaximumBatchingWindowInSeconds, ctx) ?? 0) >= 1))
      report(id, `BatchSize ${batch} above 10 needs MaximumBatchingWindowInSeconds of at least 1.`, 'set a batching window or a batch size of at most 10.', SOURCES.lambdaSqs);
    const concurrency = p.ScalingConfig?.MaximumConcurrency;
    if (concurrency !== undefined && !(concurrency >= 2 && concurrency <= 1000))
      report(id, `ScalingConfig.MaximumConcurrency ${concurrency} is outside 2-1000.`, 'use 2 to 1000.', SOURCES.lambdaSqs);
  }

  // SQS ranges.
  for (const [id, queue] of ofType('AWS::SQS::Queue')) {
    const p = props(queue);
    const check = (name, min, max) => {
      if (p[name] === undefined) return;
      const v = Number(resolve(p[name], ctx));
      if (!(v >= min && v <= max)) report(id, `${name} ${p[name]} is outside ${min}-${max}.`, `use ${min} to ${max}.`, SOURCES.sqsQuotas);
    };
    check('VisibilityTimeout', 0, 43200);
    check('MessageRetentionPeriod', 60, 1209600);
    check('DelaySeconds', 0, 900);
    check('ReceiveMessageWaitTimeSeconds', 0, 20);
    const receives = p.RedrivePolicy?.maxReceiveCount;
    if (receives !== undefined && !(receives >= 1 && receives <= 1000)) report(id, `RedrivePolicy.maxReceiveCount ${receives} is outside 1-1000.`, 'use 1 to 1000.', SOURCES.sqsQuotas);
  }

  // CloudWatch Logs retention: only the listed values.
  for (const [id, group] of ofType('AWS::Logs::LogGroup')) {
    const days = props(group).RetentionInDays;
    if (days !== undefined && !LOG_RETENTION_DAYS.has(Number(days)))
      report(id, `RetentionInDays ${days} is not one of ${[...LOG_RETENTION_DAYS].join(', ')}.`, 'use one of the allowed values.', SOURCES.logsRetention);
  }

  // EventBridge: 5 targets per rule; retry policy ranges; encrypted dead-letter queues must let EventBridge use the key.
  for (const [id, rule] of ofType('AWS::Events::Rule')) {
    const targets = props(rule).Targets ?? [];
    if (targets.length > 5) report(id, `has ${targets.length} targets; a rule takes at most 5.`, 'split the rule.', SOURCES.eventsQuotas);
    for (const t of targets) {
      const retry = t.RetryPolicy ?? {};
      if (retry.MaximumRetryAttempts !== undefined && !(retry.MaximumRetryAttempts >= 0 && retry.MaximumRetryAttempts <= 185))
        report(id, `target ${t.Id}: MaximumRetryAttempts ${retry.MaximumRetryAttempts} is outside 0-185.`, 'use 0 to 185.', SOURCES.eventsRetry);
      if (retry.MaximumEventAgeInSeconds !== undefined && !(retry.MaximumEventAgeInSeconds >= 60 && retry.MaximumEventAgeInSeconds <= 86400))
        report(id, `target ${t.Id}: MaximumEventAgeInSeconds ${retry.MaximumEventAgeInSeconds} is outside 60-86400.`, 'use 60 to 86400.', SOURCES.eventsRetry);
      const dlq = resources[refTo(t.DeadLetterConfig?.Arn)];
      const keyId = refTo(props(dlq).KmsMasterKeyId);
      if (dlq && keyId && !keyAllowsService(template, keyId, 'events.amazonaws.com'))
        report(id, `target ${t.Id}: dead-letter queue ${refTo(t.DeadLetterConfig.Arn)} is encrypted with ${keyId}, whose key policy does not let events.amazonaws.com use it; undeliverable events would be lost.`,
          `allow events.amazonaws.com kms:Decrypt and kms:GenerateDataKey in ${keyId}'s policy.`, SOURCES.eventsDlqKms);
    }
  }

  // SNS to an encrypted SQS queue: the queue's key must let SNS use it, or delivery fails silently.
  for (const [id, sub] of ofType('AWS::SNS::Subscription')) {
    const p = props(sub);
    if (p.Protocol !== 'sqs') continue;
    const queueId = refTo(p.Endpoint);
    const keyId = refTo(props(resources[queueId]).KmsMasterKeyId);
    if (keyId && !keyAllowsService(template, keyId, 'sns.amazonaws.com'))
      report(id, `queue ${queueId} is encrypted with ${keyId}, whose key policy does not let sns.amazonaws.com use it; SNS would fail every delivery to the queue.`,
        `allow sns.amazonaws.com kms:Decrypt and kms:GenerateDataKey* in ${keyId}'s policy (aws:SourceArn = the topic, on a key the topic does not use).`, SOURCES.snsSqsKms);
  }

  // CloudWatch alarms: at most 5 actions; a valid period; an encrypted topic must let CloudWatch use its key.
  for (const [id, alarm] of ofType('AWS::CloudWatch::Alarm')) {
    const p = props(alarm);
    for (const list of ['AlarmActions', 'OKActions', 'InsufficientDataActions']) {
      const actions = p[list] ?? [];
      if (actions.length > 5) report(id, `${list} has ${actions.length} actions; an alarm takes at most 5.`, 'publish to one topic instead.', SOURCES.alarmPeriod);
      for (const action of actions) {
        const topic = resources[refTo(action)];
        const keyId = refTo(props(topic).KmsMasterKeyId);
        if (topic?.Type === 'AWS::SNS::Topic' && keyId && !keyAllowsService(template, keyId, 'cloudwatch.amazonaws.com'))
          report(id, `${list} publishes to ${refTo(action)}, encrypted with ${keyId}, whose key policy does not let cloudwatch.amazonaws.com use it; the alarm would never notify.`,
            `allow cloudwatch.amazonaws.com kms:Decrypt and kms:GenerateDataKey* in ${keyId}'s policy.`, SOURCES.alarmsKms);
      }
    }
    const period = p.Period === undefined ? undefined : Number(p.Period);
    if (period !== undefined && ![10, 20, 30].includes(period) && !(period >= 60 && period % 60 === 0))
      report(id, `Period ${period} is not 10, 20, 30 or a multiple of 60.`, 'use a valid period.', SOURCES.alarmPeriod);
    if (p.DatapointsToAlarm !== undefined && p.EvaluationPeriods !== undefined && Number(p.DatapointsToAlarm) > Number(p.EvaluationPeriods))
      report(id, `DatapointsToAlarm ${p.DatapointsToAlarm} exceeds EvaluationPeriods ${p.EvaluationPeriods}.`, 'lower DatapointsToAlarm.', SOURCES.alarmPeriod);
  }

  // EventBridge Pipes from a DynamoDB stream: documented ranges.
  for (const [id, pipe] of ofType('AWS::Pipes::Pipe')) {
    const s = props(pipe).SourceParameters?.DynamoDBStreamParameters;
    if (!s) continue;
    if (s.MaximumRecordAgeInSeconds !== undefined && s.MaximumRecordAgeInSeconds !== -1 && !(s.MaximumRecordAgeInSeconds >= 60 && s.MaximumRecordAgeInSeconds <= 604800))
      report(id, `MaximumRecordAgeInSeconds ${s.MaximumRecordAgeInSeconds} is neither -1 nor 60-604800.`, 'use -1 (infinite) or 60 to 604800.', SOURCES.pipesDynamo);
    if (s.BatchSize !== undefined && !(s.BatchSize >= 1 && s.BatchSize <= 10000)) report(id, `BatchSize ${s.BatchSize} is outside 1-10000.`, 'use 1 to 10000.', SOURCES.pipesDynamo);
    if (s.MaximumRetryAttempts !== undefined && !(s.MaximumRetryAttempts >= -1 && s.MaximumRetryAttempts <= 10000))
      report(id, `MaximumRetryAttempts ${s.MaximumRetryAttempts} is outside -1-10000.`, 'use -1 to 10000.', SOURCES.pipesDynamo);
  }

  // Policy sizes: inline policies of a role 10,240 characters in aggregate (whitespace not counted), a key policy 32 KB.
  const inline = new Map();
  for (const [, policy] of ofType('AWS::IAM::Policy')) {
    const size = estimatedLength(props(policy).PolicyDocument, ctx, 120);
    for (const role of props(policy).Roles ?? []) {
      const roleId = refTo(role);
      if (roleId) inline.set(roleId, (inline.get(roleId) ?? 0) + size);
    }
  }
  for (const [id, role] of ofType('AWS::IAM::Role'))
    for (const p of props(role).Policies ?? []) inline.set(id, (inline.get(id) ?? 0) + estimatedLength(p.PolicyDocument, ctx, 120));
  for (const [roleId, size] of inline)
    if (size > 10240) report(roleId, `inline policies total about ${size} characters (ARN tokens counted at 120); IAM allows 10,240 per role.`, 'merge statements or use a managed policy.', SOURCES.iamQuotas);
  for (const [id, key] of ofType('AWS::KMS::Key')) {
    const size = estimatedLength(props(key).KeyPolicy, ctx, 120);
    if (size > 32768) report(id, `key policy is about ${size} bytes; KMS allows 32 KB.`, 'move grants to IAM policies.', SOURCES.kmsQuotas);
  }
  return problems;
}

module.exports = { serviceRules, resolve };
