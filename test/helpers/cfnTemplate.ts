/**
 * Reading the template `sls package` writes, as CloudFormation would: a small resolver for parameters
 * (defaults + overrides), Conditions, Fn::If, AWS::NoValue and the Fn::Select / Fn::Split of parameter
 * values, renderers that turn intrinsics into text with stand-ins, and helpers over the policy statements.
 * Used by test/integration/template*.test.ts.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };
export interface Resource {
  Type: string;
  Condition?: string;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  DependsOn?: string | string[];
  Properties: JsonObject;
}
export interface Parameter {
  Type: 'String' | 'Number';
  Default?: string;
  AllowedValues?: string[];
  AllowedPattern?: string;
  MinValue?: number;
  MaxValue?: number;
}
export interface Template {
  Parameters: Record<string, Parameter>;
  Conditions: Record<string, Json>;
  Resources: Record<string, Resource>;
  Outputs: Record<string, { Value: Json; Condition?: string }>;
}

export const isObject = (v: unknown): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

// ---------------------------------------------------------------------------------------------------------
// A small CloudFormation resolver: parameters (defaults + overrides), Conditions, Fn::If and AWS::NoValue.
// Other intrinsics (Ref to resources, Fn::GetAtt, Fn::Sub) stay as they are, with parameters substituted.

export const NO_VALUE = Symbol('NoValue');
export const PSEUDO = new Set([
  'AWS::AccountId',
  'AWS::Region',
  'AWS::Partition',
  'AWS::StackName',
  'AWS::URLSuffix',
]);

export interface Resolved {
  params: Record<string, string>;
  conditions: Record<string, boolean>;
  resources: Record<string, Resource>;
  outputs: Record<string, Json>;
}

export function resolve(t: Template, overrides: Record<string, string> = {}): Resolved {
  const params: Record<string, string> = {};
  for (const [name, p] of Object.entries(t.Parameters)) params[name] = overrides[name] ?? p.Default ?? '';
  for (const name of Object.keys(overrides)) {
    if (!(name in t.Parameters)) throw new Error(`unknown parameter ${name}`);
  }
  const conditions: Record<string, boolean> = {};
  const condition = (name: string): boolean => {
    if (!(name in conditions)) {
      if (!(name in t.Conditions)) throw new Error(`unknown condition ${name}`);
      conditions[name] = evalCondition(t.Conditions[name] as Json);
    }
    return conditions[name] as boolean;
  };
  const scalar = (v: Json): string => {
    const r = value(v);
    if (typeof r !== 'string' && typeof r !== 'number') throw new Error(`not a scalar: ${JSON.stringify(v)}`);
    return String(r);
  };
  const evalCondition = (c: Json): boolean => {
    if (!isObject(c)) throw new Error(`bad condition ${JSON.stringify(c)}`);
    const [fn, args] = Object.entries(c)[0] as [string, Json];
    const list = args as Json[];
    switch (fn) {
      case 'Fn::Equals':
        return scalar(list[0] as Json) === scalar(list[1] as Json);
      case 'Fn::Not':
        return !evalCondition(list[0] as Json);
      case 'Fn::And':
        return list.every((x) => evalCondition(x));
      case 'Fn::Or':
        return list.some((x) => evalCondition(x));
      case 'Condition':
        return condition(args as string);
      default:
        throw new Error(`unsupported condition function ${fn}`);
    }
  };
  const subParams = (s: string): string =>
    s.replace(/\$\{([A-Za-z0-9]+)\}/g, (m, name: string) => (name in params ? (params[name] as string) : m));
  function value(node: Json): Json | typeof NO_VALUE {
    if (Array.isArray(node)) {
      return node.map((x) => value(x)).filter((x): x is Json => x !== NO_VALUE);
    }
    if (!isObject(node)) return node;
    const keys = Object.keys(node);
    if (keys.length === 1 && keys[0] === 'Fn::If') {
      const [name, yes, no] = node['Fn::If'] as [string, Json, Json];
      return value(condition(name) ? yes : no);
    }
    if (keys.length === 1 && keys[0] === 'Ref') {
      const ref = node.Ref as string;
      if (ref === 'AWS::NoValue') return NO_VALUE;
      if (ref in params) return params[ref] as string;
      return node;
    }
    if (keys.length === 1 && keys[0] === 'Fn::Sub') {
      const sub = node['Fn::Sub'];
      if (typeof sub === 'string') return { 'Fn::Sub': subParams(sub) };
      const [text, vars] = sub as [string, JsonObject];
      return { 'Fn::Sub': [subParams(text), value(vars) as JsonObject] };
    }
    // Fn::Split of a text made of parameters only (the comma-separated SesConfigurationSets), and Fn::Select
    // from it, are evaluated; over anything else they stay as they are.
    if (keys.length === 1 && keys[0] === 'Fn::Split') {
      const [sep, text] = node['Fn::Split'] as [string, Json];
      const known = staticText(value(text));
      return known === undefined ? { 'Fn::Split': [sep, value(text) as Json] } : known.split(sep);
    }
    if (keys.length === 1 && keys[0] === 'Fn::Select') {
      const [index, list] = node['Fn::Select'] as [number | string, Json];
      const items = value(list);
      if (!Array.isArray(items)) return { 'Fn::Select': [index, items as Json] };
      if (Number(index) >= items.length)
        throw new Error(`Fn::Select ${index} out of ${JSON.stringify(items)}`);
      return items[Number(index)] as Json;
    }
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(node)) {
      const r = value(v);
      if (r !== NO_VALUE) out[k] = r;
    }
    return out;
  }
  /** A string, or a Fn::Sub string with nothing left to substitute once the parameters are in. */
  function staticText(node: Json | typeof NO_VALUE): string | undefined {
    if (typeof node === 'string') return node;
    if (isObject(node) && typeof node['Fn::Sub'] === 'string' && !node['Fn::Sub'].includes('${')) {
      return node['Fn::Sub'];
    }
    return undefined;
  }
  const resources: Record<string, Resource> = {};
  for (const [id, r] of Object.entries(t.Resources)) {
    if (r.Condition !== undefined && !condition(r.Condition)) continue;
    resources[id] = value(r as unknown as Json) as unknown as Resource;
  }
  const outputs: Record<string, Json> = {};
  for (const [id, o] of Object.entries(t.Outputs ?? {})) {
    if (o.Condition !== undefined && !condition(o.Condition)) continue;
    const v = value(o.Value);
    if (v !== NO_VALUE) outputs[id] = v;
  }
  for (const name of Object.keys(t.Conditions)) condition(name);
  return { params, conditions, resources, outputs };
}

/**
 * Renders an intrinsic as text with stand-ins: Ref X → X, GetAtt X.Arn → arn:X, pseudo-parameters →
 * aws / us-east-1 / 123456789012; `${!x}` in Fn::Sub → `${x}` (CloudFormation's escape, whatever x holds:
 * `${!PROP('Dim.Outcome')}` → `${PROP('Dim.Outcome')}`).
 */
export function render(node: Json): string {
  if (typeof node === 'string' || typeof node === 'number' || typeof node === 'boolean') return String(node);
  if (!isObject(node)) throw new Error(`cannot render ${JSON.stringify(node)}`);
  if ('Ref' in node) return pseudo(node.Ref as string) ?? (node.Ref as string);
  if ('Fn::GetAtt' in node) {
    const [id, attr] = node['Fn::GetAtt'] as [string, string];
    return attr === 'Arn' ? `arn:${id}` : `${id}.${attr}`;
  }
  if ('Fn::Sub' in node) {
    const sub = node['Fn::Sub'];
    const [text, vars] = typeof sub === 'string' ? [sub, {}] : (sub as [string, JsonObject]);
    return text.replace(/\$\{(?:!([^}]*)|([A-Za-z0-9:.]+))\}/g, (_m, literal?: string, name?: string) => {
      if (literal !== undefined) return `\${${literal}}`;
      if (name === undefined) throw new Error(`cannot render ${text}`);
      if (name in vars) return render(vars[name] as Json);
      const p = pseudo(name);
      if (p !== undefined) return p;
      return name.endsWith('.Arn') ? `arn:${name.slice(0, -4)}` : name;
    });
  }
  if ('Fn::Join' in node) {
    const [sep, parts] = node['Fn::Join'] as [string, Json];
    return renderList(parts).join(sep);
  }
  throw new Error(`cannot render ${JSON.stringify(node)}`);
}

/**
 * A JSON document written as an Fn::Sub text (a dashboard body), parsed once rendered: parameters are already
 * in (resolve), resources and pseudo-parameters become render's stand-ins, `${!…}` literals stay `${…}`.
 */
export function renderJson(node: Json): Json {
  const text = render(node);
  try {
    return JSON.parse(text) as Json;
  } catch (err) {
    throw new Error(`not JSON once rendered (${(err as Error).message}):\n${text}`);
  }
}

export function renderList(node: Json): string[] {
  if (Array.isArray(node)) return node.map(render);
  if (isObject(node) && 'Fn::Split' in node) {
    const [sep, text] = node['Fn::Split'] as [string, Json];
    return render(text).split(sep);
  }
  return [render(node)];
}

export function pseudo(name: string): string | undefined {
  return (
    { 'AWS::Partition': 'aws', 'AWS::Region': 'us-east-1', 'AWS::AccountId': '123456789012' } as Record<
      string,
      string
    >
  )[name];
}

/** Glob of IAM resource patterns (`*` within a segment or across, as IAM does). */
export function iamMatches(pattern: string, arn: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map(escapeRe).join('.*')}$`);
  return re.test(arn);
}
/** `${name}`: a Glue projection or Fn::Sub placeholder, as text. */
export const placeholder = (name: string) => `\${${name}}`;
export const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// ---------------------------------------------------------------------------------------------------------
// Policy statements: every statement of every policy in the template, with where it comes from.

export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: Json;
  Action?: string | string[];
  NotAction?: Json;
  Resource?: Json;
  NotResource?: Json;
  Condition?: JsonObject;
}
export interface Located {
  resource: string;
  type: string;
  /** `KeyPolicy`, `AssumeRolePolicyDocument`, `PolicyDocument` or `ResourcePolicy` (a secret's). */
  document: string;
  statement: Statement;
}

/** The keys under which a resource holds a policy document. */
export const POLICY_DOCUMENTS = ['PolicyDocument', 'KeyPolicy', 'AssumeRolePolicyDocument', 'ResourcePolicy'];

/**
 * Walks roles' Policies, AWS::IAM::Policy and managed policies, bucket/topic/queue policies, key policies and
 * secret resource policies alike.
 */
export function collectStatements(resources: Record<string, Resource>): Located[] {
  const found: Located[] = [];
  const documents = POLICY_DOCUMENTS;
  const walk = (node: Json, resource: string, type: string) => {
    if (Array.isArray(node)) {
      for (const x of node) walk(x, resource, type);
      return;
    }
    if (!isObject(node)) return;
    for (const [k, v] of Object.entries(node)) {
      if (documents.includes(k) && isObject(v)) {
        for (const s of flattenIf(v.Statement as Json)) {
          found.push({ resource, type, document: k, statement: s as unknown as Statement });
        }
      } else {
        walk(v, resource, type);
      }
    }
  };
  for (const [id, r] of Object.entries(resources)) walk(r.Properties, id, r.Type);
  return found;
}

/** Both branches of every Fn::If (for scanning the unresolved template), minus AWS::NoValue. */
export function flattenIf(node: Json): Json[] {
  if (Array.isArray(node)) return node.flatMap(flattenIf);
  if (isObject(node) && 'Fn::If' in node) {
    const [, yes, no] = node['Fn::If'] as [string, Json, Json];
    return [...flattenIf(yes), ...flattenIf(no)];
  }
  if (isObject(node) && node.Ref === 'AWS::NoValue') return [];
  return [node];
}

export const asList = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
export const actionsOf = (s: Statement): string[] => asList(s.Action);
export const resourcesOf = (s: Statement): Json[] => flattenIf(s.Resource ?? null).filter((r) => r !== null);

/** Actions that touch data: reading or writing records, objects, items, messages, secrets, keys or log events. */
export const DATA_PLANE: RegExp[] = [
  /^s3:.*Object/i,
  /^dynamodb:(Get|Put|Update|Delete|BatchGet|BatchWrite|Query|Scan|TransactGet|TransactWrite|PartiQL)/i,
  /^sns:Publish$/i,
  /^kinesis:(Put|Get)/i,
  /^firehose:Put/i,
  /^kms:(Decrypt|Encrypt|ReEncrypt|GenerateDataKey)/i,
  /^sqs:(SendMessage|ReceiveMessage|DeleteMessage)/i,
  /^secretsmanager:GetSecretValue$/i,
  /^logs:PutLogEvents$/i,
  /^lambda:InvokeFunction$/i,
];
export const isDataPlane = (action: string) =>
  action.includes('*') || DATA_PLANE.some((re) => re.test(action));

/** Every leaf string under a Resource, whatever intrinsic wraps it. */
export function leafStrings(node: Json): string[] {
  if (typeof node === 'string') return [node];
  if (Array.isArray(node)) return node.flatMap(leafStrings);
  if (isObject(node)) return Object.values(node).flatMap(leafStrings);
  return [];
}

/**
 * The statements of one role's policies in a resolved template: its inline Policies, and the AWS::IAM::Policy
 * resources attached to it (Roles: [Ref role]) — the stack keeps the statements that name the archive bucket,
 * its key and the PII secret there, because those keys' policies name the role (a cycle otherwise).
 */
export function roleStatements(r: Resolved, roleId: string): Statement[] {
  const role = r.resources[roleId];
  if (role === undefined) throw new Error(`no role ${roleId}`);
  const inline = ((role.Properties.Policies as Json[] | undefined) ?? []).flatMap(
    (p) => ((p as JsonObject).PolicyDocument as JsonObject).Statement as unknown as Statement[],
  );
  const attached = Object.values(r.resources)
    .filter(
      (x) =>
        x.Type === 'AWS::IAM::Policy' &&
        asList(x.Properties.Roles as Json[]).some((ref) => isObject(ref) && ref.Ref === roleId),
    )
    .flatMap((x) => (x.Properties.PolicyDocument as JsonObject).Statement as unknown as Statement[]);
  return [...inline, ...attached];
}

/** The roles an AWS::IAM::Policy is attached to, or the role itself: who holds a statement. */
export function holderRoles(r: Resolved, resourceId: string): string[] {
  const x = r.resources[resourceId];
  if (x?.Type === 'AWS::IAM::Policy') {
    return asList(x.Properties.Roles as Json[]).map((ref) => (ref as JsonObject).Ref as string);
  }
  return [resourceId];
}

export function allowedOn(statements: Statement[], action: string): string[] {
  return statements
    .filter((s) => s.Effect === 'Allow' && actionsOf(s).includes(action))
    .flatMap((s) => resourcesOf(s).map(render));
}
