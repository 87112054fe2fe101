'use strict';
// Resource properties against the CloudFormation resource schemas, as @aws-cdk/aws-service-spec holds them (the
// database CDK's L1 classes are generated from, built from the CloudFormation registry schemas and patched by the
// CDK team). What the database holds, this checks: resource types, property names, required properties, types
// (recursively through nested property types), and read-only attributes written as properties. It does not hold
// the registry's enum, pattern and length constraints; service-rules.js covers the ones that matter for this stack.
const fs = require('node:fs');
const zlib = require('node:zlib');

let database;
function load() {
  if (database) return database;
  const file = require.resolve('@aws-cdk/aws-service-spec/db.json.gz');
  const db = JSON.parse(zlib.gunzipSync(fs.readFileSync(file)).toString('utf8'));
  const byType = new Map();
  for (const r of Object.values(db.schema.resource.entities)) byType.set(r.cloudFormationType, r);
  const types = new Map();
  for (const t of Object.values(db.schema.typeDefinition.entities)) types.set(t.$id, t);
  database = { byType, types, version: require('@aws-cdk/aws-service-spec/package.json').version };
  return database;
}

const isIntrinsic = (v) => v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1
  && (Object.keys(v)[0] === 'Ref' || Object.keys(v)[0].startsWith('Fn::'));

/** Returns a problem text when `value` does not fit `type`, or undefined. */
function check(value, type, at, db, out) {
  if (isIntrinsic(value)) return true; // resolved by CloudFormation at deploy time
  switch (type.type) {
    case 'json':
      return true;
    case 'string':
    case 'date-time':
      if (typeof value === 'string') return true;
      // CloudFormation converts numbers and booleans to strings for string properties.
      if (typeof value === 'number' || typeof value === 'boolean') return true;
      return fail(out, at, `expects a string, got ${describe(value)}`);
    case 'number':
      if (typeof value === 'number' || (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value)))) return true;
      return fail(out, at, `expects a number, got ${describe(value)}`);
    case 'integer':
      if ((typeof value === 'number' && Number.isInteger(value)) || (typeof value === 'string' && /^-?\d+$/.test(value))) return true;
      return fail(out, at, `expects an integer, got ${describe(value)}`);
    case 'boolean':
      if (typeof value === 'boolean' || value === 'true' || value === 'false') return true;
      return fail(out, at, `expects a boolean, got ${describe(value)}`);
    case 'array':
      if (!Array.isArray(value)) return fail(out, at, `expects a list, got ${describe(value)}`);
      value.forEach((v, i) => check(v, type.element, `${at}[${i}]`, db, out));
      return true;
    case 'map':
      if (!value || typeof value !== 'object' || Array.isArray(value)) return fail(out, at, `expects a map, got ${describe(value)}`);
      for (const [k, v] of Object.entries(value)) check(v, type.element, `${at}.${k}`, db, out);
      return true;
    case 'tag':
      return checkObject(value, { properties: { Key: { type: { type: 'string' }, required: true }, Value: { type: { type: 'string' }, required: true } } }, at, db, out);
    case 'ref': {
      const definition = db.types.get(type.reference.$ref);
      return definition ? checkObject(value, definition, at, db, out) : true;
    }
    case 'union': {
      for (const option of type.types) {
        const trial = [];
        check(value, option, at, db, trial);
        if (trial.length === 0) return true;
      }
      return fail(out, at, `matches none of its allowed types (${type.types.map(typeName(db)).join(' | ')}), got ${describe(value)}`);
    }
    default:
      return true;
  }
}

function checkObject(value, definition, at, db, out) {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return fail(out, at, `expects an object (${definition.name ?? 'property type'}), got ${describe(value)}`);
  const props = definition.properties ?? {};
  for (const [name, v] of Object.entries(value)) {
    const spec = props[name];
    if (!spec) {
      fail(out, `${at}.${name}`, `is not a property of ${definition.name ?? 'this type'} (allowed: ${Object.keys(props).sort().join(', ')})`);
      continue;
    }
    checkTyped(v, spec, `${at}.${name}`, db, out);
  }
  for (const [name, spec] of Object.entries(props)) if (spec.required && !(name in value)) fail(out, `${at}.${name}`, 'is required');
  return true;
}

/** A property value against its current type, accepting the older types CloudFormation still takes (previousTypes). */
function checkTyped(value, spec, at, db, out) {
  const trial = [];
  check(value, spec.type, at, db, trial);
  if (trial.length === 0) return;
  for (const previous of spec.previousTypes ?? []) {
    const again = [];
    check(value, previous, at, db, again);
    if (again.length === 0) return;
  }
  out.push(...trial);
}

const typeName = (db) => (t) => t.type === 'ref' ? (db.types.get(t.reference.$ref)?.name ?? 'object') : t.type === 'array' ? `list of ${typeName(db)(t.element)}` : t.type;
const describe = (v) => v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? `an object with ${Object.keys(v).join(', ')}` : `${typeof v} ${JSON.stringify(v).slice(0, 60)}`;
function fail(out, at, message) {
  out.push({ at, message });
  return false;
}

function validateSchema(template) {
  const db = load();
  const problems = [];
  for (const [id, resource] of Object.entries(template.Resources ?? {})) {
    const type = resource.Type;
    if (typeof type !== 'string') {
      problems.push({ resource: id, message: 'has no Type.', fix: 'give the resource a CloudFormation type.' });
      continue;
    }
    if (type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource' || type === 'AWS::CDK::Metadata') continue;
    const spec = db.byType.get(type);
    if (!spec) {
      problems.push({ resource: id, message: `${type} is not a resource type in the CloudFormation resource schemas (@aws-cdk/aws-service-spec ${db.version}).`, fix: 'check the type name, or upgrade the pinned schema package if the type is new.' });
      continue;
    }
    const props = resource.Properties ?? {};
    const out = [];
    for (const [name, value] of Object.entries(props)) {
      const property = spec.properties[name];
      if (!property) {
        if (spec.attributes && name in spec.attributes) out.push({ at: name, message: `is a read-only attribute of ${type}; CloudFormation rejects it as a property` });
        else out.push({ at: name, message: `is not a property of ${type}` });
        continue;
      }
      checkTyped(value, property, name, db, out);
    }
    for (const [name, property] of Object.entries(spec.properties)) if (property.required && !(name in props)) out.push({ at: name, message: `is required by ${type}` });
    for (const p of out) {
      problems.push({
        resource: id,
        message: `Properties.${p.at} ${p.message} (schema: @aws-cdk/aws-service-spec ${db.version}).`,
        fix: `set ${type} properties as the CloudFormation reference documents them (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-${type.slice(5).toLowerCase().replace('::', '-')}.html); for a property override, check its name and shape.`,
      });
    }
  }
  return problems;
}

module.exports = { validateSchema };
