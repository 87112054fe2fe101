'use strict';
// Reference cycles between resources. CloudFormation orders creation by the references between resources and
// refuses a template whose references loop ("Circular dependency between resources: [...]"), see
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/troubleshooting.html#troubleshooting-errors-dependency-error

const PSEUDO = /^AWS::/;

/** Edges from one resource: { to, kind, at } for every Ref, Fn::GetAtt, Fn::Sub variable and DependsOn. */
function edgesOf(id, resource, ids) {
  const edges = [];
  const add = (to, kind, at) => {
    if (ids.has(to)) edges.push({ to, kind, at });
  };
  const walk = (value, at) => {
    if (Array.isArray(value)) {
      value.forEach((v, i) => walk(v, `${at}[${i}]`));
      return;
    }
    if (!value || typeof value !== 'object') return;
    for (const [key, inner] of Object.entries(value)) {
      if (key === 'Ref' && typeof inner === 'string') add(inner, 'Ref', at);
      else if (key === 'Fn::GetAtt') {
        const target = Array.isArray(inner) ? inner[0] : typeof inner === 'string' ? inner.split('.')[0] : undefined;
        if (typeof target === 'string') add(target, 'Fn::GetAtt', at);
        else walk(inner, `${at}.Fn::GetAtt`);
      } else if (key === 'Fn::Sub') {
        const [text, vars] = Array.isArray(inner) ? inner : [inner, {}];
        const local = new Set(Object.keys(vars ?? {}));
        if (typeof text === 'string') {
          for (const m of text.matchAll(/\$\{([^!}][^}]*)\}/g)) {
            const name = m[1].split('.')[0];
            if (!local.has(name) && !PSEUDO.test(name)) add(name, 'Fn::Sub', at);
          }
        }
        walk(vars, `${at}.Fn::Sub`);
      } else walk(inner, `${at}.${key}`);
    }
  };
  walk(resource.Properties, `${id}.Properties`);
  // Conditions of the resource and UpdatePolicy/CreationPolicy can hold references too; Metadata cannot order creation.
  for (const section of ['UpdatePolicy', 'CreationPolicy']) walk(resource[section], `${id}.${section}`);
  const dependsOn = resource.DependsOn === undefined ? [] : [].concat(resource.DependsOn);
  for (const d of dependsOn) add(d, 'DependsOn', `${id}.DependsOn`);
  return edges;
}

/** Strongly connected components with more than one resource (or a self-reference): each is a cycle CloudFormation refuses. */
function findCycles(template) {
  const resources = template.Resources ?? {};
  const ids = new Set(Object.keys(resources));
  const graph = new Map([...ids].map((id) => [id, edgesOf(id, resources[id] ?? {}, ids)]));
  // Tarjan, iterative enough for templates of a few hundred resources.
  let index = 0;
  const stack = [];
  const on = new Set();
  const idx = new Map();
  const low = new Map();
  const components = [];
  const visit = (v) => {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    on.add(v);
    for (const { to } of graph.get(v)) {
      if (!idx.has(to)) {
        visit(to);
        low.set(v, Math.min(low.get(v), low.get(to)));
      } else if (on.has(to)) low.set(v, Math.min(low.get(v), idx.get(to)));
    }
    if (low.get(v) === idx.get(v)) {
      const component = [];
      let w;
      do {
        w = stack.pop();
        on.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || graph.get(v).some((e) => e.to === v)) components.push(component);
    }
  };
  for (const id of [...ids].sort()) if (!idx.has(id)) visit(id);

  return components.map((component) => {
    const members = new Set(component);
    const path = cyclePath(component.sort()[0], graph, members);
    const steps = path.map((e) => `${e.from} -[${e.kind} at ${e.at}]-> ${e.to}`);
    return {
      resource: component.sort().join(', '),
      message: `reference cycle (CloudFormation: "Circular dependency between resources"): ${path.map((e) => e.from).concat(path[0].from).join(' -> ')}; ${steps.join('; ')}.`,
      fix: 'remove one of these references: give the dependent resource its own key or role, build an ARN from a fixed name instead of the resource token, or drop the DependsOn.',
    };
  });
}

/** One loop through the component starting at `start`, as edges. */
function cyclePath(start, graph, members) {
  const seen = new Map([[start, null]]);
  const queue = [start];
  while (queue.length) {
    const v = queue.shift();
    for (const e of graph.get(v)) {
      if (!members.has(e.to)) continue;
      if (e.to === start) {
        const path = [{ from: v, ...e }];
        for (let p = seen.get(v); p; p = seen.get(p.from)) path.unshift(p);
        return path;
      }
      if (!seen.has(e.to)) {
        seen.set(e.to, { from: v, ...e });
        queue.push(e.to);
      }
    }
  }
  return [];
}

module.exports = { findCycles, edgesOf };
