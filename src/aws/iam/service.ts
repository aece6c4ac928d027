/**
 * IAM's query actions (spec 5): roles, inline and attached role policies, customer managed policies and their
 * versions, OIDC providers, users and access keys. Each action validates its parameters with AWS's model
 * constraints, authorizes the caller (`iam:<Action>` on the entity's ARN) before looking anything up, validates
 * policy documents through src/policy (MalformedPolicyDocument, LimitExceeded), and answers with AWS's shapes:
 * policy documents URL-encoded, ids with AWS's prefixes, timestamps in ISO-8601.
 * @module
 */
import { MalformedPolicyDocumentError, parsePolicy, policySize, PolicySizeLimitError, getManagedPolicy, listManagedPolicies, type ManagedPolicy, type ParsedPolicy, type PolicyKind } from '../../policy/index.js';
import {
  formatOidcProviderArn,
  formatPolicyArn,
  formatRoleArn,
  formatUserArn,
  parseIamArn,
  parseOidcProviderArn,
} from '../../lib/aws-arn.js';
import { AwsError } from '../errors.js';
import { newAccessKeyId, newPolicyId, newRoleId, newSecretAccessKey, newUserId } from '../ids.js';
import { IAM_API_VERSION, IAM_XML_NAMESPACE } from '../protocol/constants.js';
import { listParam, structListParam } from '../protocol/query.js';
import { ConstraintValidator } from '../protocol/validation.js';
import { writeXml, XmlFragment, type XmlObject } from '../protocol/xml.js';
import type { Plane } from '../plane.js';
import type { QueryAction, QueryCall, QueryService } from '../service.js';
import type { ManagedPolicyRecord, OidcProviderRecord, RoleRecord, Tag } from './store.js';

// ---------------------------------------------------------------------------------------------- model constraints

const NAME_RE = /^[\w+=,.@-]+$/;
const NAME_TEXT = '[\\w+=,.@-]+';
const PATH_RE = /^(\/|\/[\x21-\x7e]+\/)$/;
const PATH_TEXT = '(\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)';
const POLICY_PATH_RE = /^((\/[A-Za-z0-9.,+@=_-]+)*)\/$/;
const POLICY_PATH_TEXT = '((/[A-Za-z0-9\\.,\\+@=_-]+)*)/';
const DOC_RE = /^[\u0009\u000A\u000D\u0020-\u00FF]+$/;
const DOC_TEXT = '[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+';
const TAG_RE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const TAG_TEXT = '[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*';
const THUMBPRINT_RE = /^[0-9A-Fa-f]{40}$/;
const VERSION_RE = /^v[1-9][0-9]*(\.[A-Za-z0-9-]*)?$/;

/** IAM quotas (spec 5, IAM & STS quotas page). */
export const IAM_QUOTAS = {
  managedPoliciesPerRole: 10,
  policyVersions: 5,
  clientIdsPerProvider: 100,
  thumbprintsPerProvider: 5,
  providersPerAccount: 100,
  tagsPerEntity: 50,
  inlinePolicySizePerRole: 10240,
  accessKeysPerUser: 2,
} as const;

// ---------------------------------------------------------------------------------------------- helpers

/** Encoded documents by text: GetRole and friends return the same few documents again and again. Bounded (cleared when full). */
const encodedPolicies = new Map<string, string>();

function encodePolicy(text: string): string {
  let encoded = encodedPolicies.get(text);
  if (encoded === undefined) {
    encoded = encodeURIComponent(text);
    if (encodedPolicies.size >= 256) encodedPolicies.clear();
    encodedPolicies.set(text, encoded);
  }
  return encoded;
}

function noSuchRole(name: string): AwsError {
  return new AwsError('NoSuchEntity', `The role with name ${name} cannot be found.`, 404);
}

function noSuchPolicy(arn: string): AwsError {
  return new AwsError('NoSuchEntity', `Policy ${arn} does not exist or is not attachable.`, 404);
}

function invalidArn(arn: string): AwsError {
  return new AwsError('InvalidInput', `ARN ${arn} is not valid.`, 400);
}

/** Parses a document as the given kind, turning policy errors into IAM's (they already carry IAM's code and text). */
function validateDocument(text: string, kind: PolicyKind, roleName?: string): ParsedPolicy {
  return parsePolicy(text, { kind, ...(roleName === undefined ? {} : { roleName }) });
}

function boolParam(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  return value.toLowerCase() === 'true';
}

function tagsParam(call: QueryCall, v: ConstraintValidator, name = 'Tags'): Tag[] | undefined {
  const raw = structListParam(call.params, name, ['Key', 'Value'] as const);
  if (raw === undefined) return undefined;
  v.listLength(name, raw, 0, IAM_QUOTAS.tagsPerEntity);
  const tags: Tag[] = [];
  raw.forEach((t, i) => {
    const at = `${name}.member.${i + 1}`;
    if (v.required(`${at}.key`, t.Key)) {
      v.length(`${at}.key`, t.Key, 1, 128);
      v.pattern(`${at}.key`, t.Key, TAG_RE, TAG_TEXT);
    }
    if (v.required(`${at}.value`, t.Value)) {
      v.length(`${at}.value`, t.Value, 0, 256);
      v.pattern(`${at}.value`, t.Value, TAG_RE, TAG_TEXT);
    }
    if (t.Key !== undefined && t.Value !== undefined) tags.push({ Key: t.Key, Value: t.Value });
  });
  return tags;
}

function checkTagKeys(tags: readonly Tag[]): void {
  const seen = new Set<string>();
  for (const t of tags) {
    const k = t.Key.toLowerCase();
    if (seen.has(k)) throw new AwsError('InvalidInput', 'Duplicate tag keys found. Please note that Tag keys are case insensitive.', 400);
    seen.add(k);
    if (k.startsWith('aws:')) throw new AwsError('InvalidInput', 'User-defined tag keys can\'t start with "aws:". This prefix is reserved for AWS tags.', 400);
  }
}

/** Merges new tags over old ones (keys compared case-insensitively, the new spelling wins). */
function mergeTags(old: readonly Tag[], added: readonly Tag[]): Tag[] {
  const out = old.filter((t) => !added.some((a) => a.Key.toLowerCase() === t.Key.toLowerCase()));
  return [...out, ...added];
}

/** Marker/MaxItems pagination over a full list (the marker is an opaque offset). */
function paginate<T>(call: QueryCall, v: ConstraintValidator, items: readonly T[]): { page: T[]; IsTruncated: boolean; Marker: string | undefined } {
  const maxItems = v.integer('MaxItems', call.params.get('MaxItems'), 1, 1000) ?? 100;
  const marker = call.params.get('Marker');
  v.length('Marker', marker, 1, 320);
  v.done();
  let start = 0;
  if (marker !== undefined) {
    const decoded = /^irsa-offset:(\d+)$/.exec(Buffer.from(marker, 'base64').toString('utf8'));
    if (decoded === null) throw new AwsError('InvalidInput', 'Invalid Marker.', 400);
    start = Number(decoded[1]);
  }
  const page = items.slice(start, start + maxItems);
  const end = start + page.length;
  const truncated = end < items.length;
  return { page, IsTruncated: truncated, Marker: truncated ? Buffer.from(`irsa-offset:${end}`).toString('base64') : undefined };
}

function pathPrefix(call: QueryCall, v: ConstraintValidator): string {
  const prefix = call.params.get('PathPrefix');
  v.length('PathPrefix', prefix, 1, 512);
  v.pattern('PathPrefix', prefix, /^\u002F[\u0021-\u007F]*$/, '\\u002F[\\u0021-\\u007F]*');
  return prefix ?? '/';
}

// ---------------------------------------------------------------------------------------------- shapes

function roleShape(r: RoleRecord, full: boolean): XmlObject {
  return {
    Path: r.path,
    RoleName: r.roleName,
    RoleId: r.roleId,
    Arn: r.arn,
    CreateDate: r.createDate,
    AssumeRolePolicyDocument: encodePolicy(r.assumeRolePolicyDocument),
    Description: r.description ?? undefined,
    MaxSessionDuration: r.maxSessionDuration,
    PermissionsBoundary:
      full && r.permissionsBoundary !== null ? { PermissionsBoundaryType: 'PermissionsBoundaryPolicy', PermissionsBoundaryArn: r.permissionsBoundary } : undefined,
    Tags: full && r.tags.length > 0 ? r.tags.map((t) => ({ Key: t.Key, Value: t.Value })) : undefined,
    RoleLastUsed: full ? (r.lastUsedDate === null ? {} : { LastUsedDate: r.lastUsedDate, Region: r.lastUsedRegion ?? undefined }) : undefined,
  };
}

function policyShape(p: ManagedPolicyRecord, attachments: number, boundaryUses: number, withTags: boolean): XmlObject {
  return {
    PolicyName: p.policyName,
    PolicyId: p.policyId,
    Arn: p.arn,
    Path: p.path,
    DefaultVersionId: p.defaultVersionId,
    AttachmentCount: attachments,
    PermissionsBoundaryUsageCount: boundaryUses,
    IsAttachable: true,
    Description: p.description ?? undefined,
    CreateDate: p.createDate,
    UpdateDate: p.updateDate,
    Tags: withTags && p.tags.length > 0 ? p.tags.map((t) => ({ Key: t.Key, Value: t.Value })) : undefined,
  };
}

// ---------------------------------------------------------------------------------------------- the service

/** What the actions share: the plane and a few lookups. */
class Iam {
  constructor(readonly plane: Plane) {}

  get store() {
    return this.plane.iam;
  }

  roleArn(name: string): string {
    return this.store.getRole(name)?.arn ?? formatRoleArn(this.plane.accountId, name);
  }

  requireRole(name: string): RoleRecord {
    const r = this.store.getRole(name);
    if (r === undefined) throw noSuchRole(name);
    return r;
  }

  /** GetRole's `<Role>` by record: the store hands out the same record until the role (or anything in IAM) changes. */
  private readonly roleXml = new WeakMap<RoleRecord, XmlFragment>();

  fullRoleXml(r: RoleRecord): XmlFragment {
    let xml = this.roleXml.get(r);
    if (xml === undefined) {
      xml = new XmlFragment(writeXml(roleShape(r, true)));
      this.roleXml.set(r, xml);
    }
    return xml;
  }

  /** A policy ARN that can be attached: AWS managed (shipped) or a customer policy of this account. */
  policyExists(arn: string): boolean {
    const aws = getManagedPolicy(arn);
    if (aws !== undefined && aws.arn === arn) return true;
    return this.store.getPolicy(arn) !== undefined;
  }

  /** Trust policies may name IAM users and roles of this account only when they exist (spec 6.2). */
  checkTrustPrincipals(parsed: ParsedPolicy): void {
    for (const s of parsed.statements) {
      const p = s.Principal ?? s.NotPrincipal;
      if (p === undefined || p === '*' || p.AWS === undefined) continue;
      for (const a of Array.isArray(p.AWS) ? p.AWS : [p.AWS]) {
        const iam = parseIamArn(a);
        if (iam === undefined || iam.accountId !== this.plane.accountId) continue;
        const exists = iam.type === 'role' ? this.store.getRole(iam.name)?.arn === a : iam.type === 'user' ? this.store.getUser(iam.name)?.arn === a : true;
        if (!exists) throw new MalformedPolicyDocumentError(`Invalid principal in policy: "AWS":"${a}"`);
      }
    }
  }

  requireProvider(arn: string): OidcProviderRecord {
    if (parseOidcProviderArn(arn) === undefined) throw invalidArn(arn);
    const p = this.store.getOidcProvider(arn);
    if (p === undefined) throw new AwsError('NoSuchEntity', `OpenIDConnect Provider not found for arn ${arn}`, 404);
    return p;
  }

  customerPolicy(arn: string): ManagedPolicyRecord {
    if (parseIamArn(arn)?.type !== 'policy') throw invalidArn(arn);
    const p = this.store.getPolicy(arn);
    if (p === undefined) throw new AwsError('NoSuchEntity', `Policy ${arn} was not found.`, 404);
    return p;
  }
}

type Handler = (iam: Iam, call: QueryCall) => XmlObject | undefined;

function roleNameParam(call: QueryCall, v: ConstraintValidator, name = 'RoleName'): string {
  const value = call.params.get(name);
  if (v.required(name, value)) {
    v.length(name, value, 1, 64);
    v.pattern(name, value, NAME_RE, NAME_TEXT);
  }
  return value ?? '';
}

function policyNameParam(call: QueryCall, v: ConstraintValidator): string {
  const value = call.params.get('PolicyName');
  if (v.required('PolicyName', value)) {
    v.length('PolicyName', value, 1, 128);
    v.pattern('PolicyName', value, NAME_RE, NAME_TEXT);
  }
  return value ?? '';
}

function documentParam(call: QueryCall, v: ConstraintValidator, name: string): string {
  const value = call.params.get(name);
  if (v.required(name, value)) {
    v.length(name, value, 1, 131072);
    v.pattern(name, value, DOC_RE, DOC_TEXT);
  }
  return value ?? '';
}

function arnParam(call: QueryCall, v: ConstraintValidator, name: string): string {
  const value = call.params.get(name);
  if (v.required(name, value)) v.length(name, value, 20, 2048);
  return value ?? '';
}

/** `Path` (1–512 characters): users' and roles' `/…/` form or managed policies' stricter one. */
function pathParam(call: QueryCall, v: ConstraintValidator, pattern: RegExp, patternText: string): string | undefined {
  const path = call.params.get('Path');
  v.length('Path', path, 1, 512);
  v.pattern('Path', path, pattern, patternText);
  return path;
}

function descriptionParam(call: QueryCall, v: ConstraintValidator): string | undefined {
  const description = call.params.get('Description');
  v.length('Description', description, 0, 1000);
  return description;
}

/** A role's `MaxSessionDuration`: 3600–43200 seconds. */
function maxSessionDurationParam(call: QueryCall, v: ConstraintValidator): number | undefined {
  return v.integer('MaxSessionDuration', call.params.get('MaxSessionDuration'), 3600, 43200);
}

function userNameParam(call: QueryCall, v: ConstraintValidator, required: boolean): string | undefined {
  const value = call.params.get('UserName');
  if (required) v.required('UserName', value);
  v.length('UserName', value, 1, 64);
  v.pattern('UserName', value, NAME_RE, NAME_TEXT);
  return value;
}

// ------------------------------------------------------------------------------------------ roles

const createRole: Handler = (iam, call) => {
  const v = new ConstraintValidator();
  const name = roleNameParam(call, v);
  const doc = documentParam(call, v, 'AssumeRolePolicyDocument');
  const path = pathParam(call, v, PATH_RE, PATH_TEXT);
  const description = descriptionParam(call, v);
  const maxSession = maxSessionDurationParam(call, v);
  const boundary = call.params.get('PermissionsBoundary');
  v.length('PermissionsBoundary', boundary, 20, 2048);
  const tags = tagsParam(call, v) ?? [];
  v.done();
  const arn = formatRoleArn(iam.plane.accountId, name, path ?? '/');
  call.requireAllowed({
    action: 'iam:CreateRole',
    resource: arn,
    keys: {
      ...(boundary === undefined ? {} : { 'iam:PermissionsBoundary': boundary }),
      ...Object.fromEntries(tags.map((t) => [`aws:RequestTag/${t.Key}`, t.Value])),
      ...(tags.length > 0 ? { 'aws:TagKeys': tags.map((t) => t.Key) } : {}),
    },
  });
  checkTagKeys(tags);
  if (boundary !== undefined && !iam.policyExists(boundary)) throw new AwsError('InvalidInput', `Invalid permissions boundary ARN: ${boundary}`, 400);
  const parsed = validateDocument(doc, 'trust');
  iam.checkTrustPrincipals(parsed);
  if (iam.store.getRole(name) !== undefined) throw new AwsError('EntityAlreadyExists', `Role with name ${name} already exists.`, 409);
  const role: RoleRecord = {
    roleName: name,
    roleId: newRoleId(iam.plane.random),
    arn,
    path: path ?? '/',
    assumeRolePolicyDocument: doc,
    description: description ?? null,
    maxSessionDuration: maxSession ?? 3600,
    permissionsBoundary: boundary ?? null,
    tags,
    createDate: call.now,
    lastUsedDate: null,
    lastUsedRegion: null,
  };
  iam.store.createRole(role);
  const shape = roleShape(role, true);
  return { Role: { ...shape, RoleLastUsed: undefined } };
};

const getRole: Handler = (iam, call) => {
  const v = new ConstraintValidator();
  const name = roleNameParam(call, v);
  v.done();
  call.requireAllowed({ action: 'iam:GetRole', resource: iam.roleArn(name) });
  return { Role: iam.fullRoleXml(iam.requireRole(name)) };
};

const listRoles: Handler = (iam, call) => {
  const v = new ConstraintValidator();
  const prefix = pathPrefix(call, v);
  v.done();
  call.requireAllowed({ action: 'iam:ListRoles', resource: '*' });
  const roles = iam.store.listRoles().filter((r) => r.path.startsWith(prefix));
  const { page, IsTruncated, Marker } = paginate(call, v, roles);
  return { Roles: page.map((r) => roleShape(r, false)), IsTruncated, Marker };
};

const deleteRole: Handler = (iam, call) => {
  const v = new ConstraintValidator();
  const name = roleNameParam(call, v);
  v.done();
  call.requireAllowed({ action: 'iam:DeleteRole', resource: iam.roleArn(name) });
  iam.requireRole(name);
  if (iam.store.listRoleAttachedPolicies(name).length > 0) throw new AwsError('DeleteConflict', 'Cannot delete entity, must detach all policies first.', 409);
  if (iam.store.listRolePolicies(name).length > 0) throw new AwsError('DeleteConflict', 'Cannot delete entity, must delete policies first.', 409);
  iam.store.deleteRole(name);
  return undefined;
};

const updateRole: Handler = (iam, call) => {
  const v = new ConstraintValidator();
  const name = roleNameParam(call, v);
  const description = descriptionParam(call, v);
  const maxSession = maxSessionDurationParam(call, v);
  v.done();
  call.requireAllowed({ action: 'iam:UpdateRole', resource: iam.roleArn(name) });
  iam.requireRole(name);
  iam.store.updateRole(name, { ...(description === undefined ? {} : { description }), ...(maxSession === undefined ? {} : { maxSessionDuration: maxSession }) });
  return {};
};

const updateAssumeRolePolicy: Handler = (iam, call) => {
  const v = new ConstraintValidator();
  const name = roleNameParam(call, v);
  const doc = documentParam(call, v, 'PolicyDocument');
  v.done();
  call.requireAllowed({ action: 'iam:UpdateAssumeRolePolicy', resource: iam.roleArn(name) });
  iam.requireRole(name);
  iam.checkTrustPrincipals(validateDocument(doc, 'trust'));
  iam.store.setTrustPolicy(name, doc);
  return undefined;
};

const tagRole: Handler = (iam, call) => {
  const v = new ConstraintValidator();
  const name = roleNameParam(call, v);
  const tags = tagsParam(call, v);
  v.required('Tags', tags);
  v.done();
  call.requireAllowed({
    action: 'iam:TagRole',
    resource: iam.roleArn(name),
    keys: { ...Object.fromEntries(tags!.map((t) => [`aws:RequestTag/${t.Key}`, t.Value])), 'aws:TagKeys': tags!.map((t) => t.Key) },
  });
  const role = iam.requireRole(name);
  checkTagKeys(tags!);
  const merged = mergeTags(role.tags, tags!);
  if (merged.length > IAM_QUOTAS.tagsPerEntity) throw new PolicySizeLimitError(`Cannot exceed quota for TagsPerRole: ${IAM_QUOTAS.tagsPerEntity}`, merged.length, IAM_QUOTAS.tagsPerEntity);
  iam.store.setRoleTags(name, merged);
  return undefined;
};

const untagRole: Handler = (iam, call) => {
  const v = new ConstraintValidator();
  const name = roleNameParam(call, v);
  const keys = listParam(call.params, 'TagKeys');
  v.required('TagKeys', keys);
  v.listLength('TagKeys', keys, 0, 50);
  v.done();
  call.requireAllowed({ action: 'iam:UntagRole', resource: iam.roleArn(name), keys: { 'aws:TagKeys': keys! } });
  const role = iam.requireRole(name);
  const drop = new Set(keys!.map((k) => k.toLowerCase()));
  iam.store.setRoleTags(name, role.tags.filter((t) => !drop.has(t.Key.toLowerCase())));
  return undefined;
};

const listRoleTags: Handler = (iam, call) => {
  const v = new ConstraintValidator();
  const name = roleNameParam(call, v);
  v.done();
  call.requireAllowed({ action: 'iam:ListRoleTags', resource: iam.roleArn(name) });
  const role = iam.requireRole(name);
  const { page, IsTruncated, Marker } = paginate(call, v, role.tags);
  return { Tags: page.map((t) => ({ Key: t.Key, Value: t.Value })), IsTruncated, Marker };
};

// ------------------------------------------------------------------------------------------ role policies

const attachRolePolicy: Handler = (iam, call) => {
  const v = new ConstraintValidator();
  const name = roleNameParam(call, v);
  const arn = arnParam(call, v, 'PolicyArn');
  v.done();
  call.requireAllowed({ action: 'iam:AttachRolePolicy', resource: iam.roleArn(name), keys: { 'iam:PolicyARN': arn } });
  if (parseIamArn(arn)?.type !== 'policy') throw invalidArn(arn);
  iam.requireRole(name);
  if (!iam.policyExists(arn)) throw noSuchPolicy(arn);
  const attached = iam.store.listRoleAttachedPolicies(name);
  if (!attached.includes(arn) && attached.length >= IAM_QUOTAS.managedPoliciesPerRole) {
    throw new PolicySizeLimitError(`Cannot exceed quota for PoliciesPerRole: ${IAM_QUOTAS.managedPoliciesPerRole}`, attached.length + 1, IAM_QUOTAS.managedPoliciesPerRole);
  }
  iam.store.attachRolePolicy(name, arn);
  return undefined;
};

const detachRolePolicy: Handler = (iam, call) => {
  const v = new ConstraintValidator();
  const name = roleNameParam(call, v);
  const arn = arnParam(call, v, 'PolicyArn');
  v.done();
  call.requireAllowed({ action: 'iam:DetachRolePolicy', resource: iam.roleArn(name), keys: { 'iam:PolicyARN': arn } });
  if (parseIamArn(arn)?.type !== 'policy') throw invalidArn(arn);
  iam.requireRole(name);
  if (!iam.store.detachRolePolicy(name, arn)) throw new AwsError('NoSuchEntity', `Policy ${arn} was not found.`, 404);
  return undefined;
};

const listAttachedRolePolicies: Handler = (iam, call) => {
  const v = new ConstraintValidator();
  const name = roleNameParam(call, v);
  const prefix = pathPrefix(call, v);
  v.done();
  call.requireAllowed({ action: 'iam:ListAttachedRolePolicies', resource: iam.roleArn(name) });
  iam.requireRole(name);
  const attached = iam.store
    .listRoleAttachedPolicies(name)
    .map((arn) => parseIamArn(arn)!)
    .filter((p) => p.path.startsWith(prefix));
  const { page, IsTruncated, Marker } = paginate(call, v, attached);
  return {
    AttachedPolicies: page.map((p) => ({ PolicyName: p.name, PolicyArn: formatPolicyArn(p.accountId, p.name, p.path, p.partition) })),
    IsTruncated,
    Marker,
  };
};

const putRolePolicy: Handler = (iam, call) => {
  const v = new ConstraintValidator();
  const name = roleNameParam(call, v);
  const policyName = policyNameParam(call, v);
  const doc = documentParam(call, v, 'PolicyDocument');
  v.done();
  call.requireAllowed({ action: 'iam:PutRolePolicy', resource: iam.roleArn(name) });
  const role = iam.requireRole(name);
  validateDocument(doc, 'inline', role.roleName);
  const others = iam.store.listRolePolicies(name).filter((p) => p.policyName !== policyName);
  const total = others.reduce((n, p) => n + policySize(p.document), 0) + policySize(doc);
  if (total > IAM_QUOTAS.inlinePolicySizePerRole) {
    throw new PolicySizeLimitError(`Maximum policy size of ${IAM_QUOTAS.inlinePolicySizePerRole} bytes exceeded for role ${role.roleName}`, total, IAM_QUOTAS.inlinePolicySizePerRole);
  }
  iam.store.putRolePolicy(name, policyName, doc);
  return undefined;
};

const getRolePolicy: Handler = (iam, call) => {
  const v = new ConstraintValidator();
  const name = roleNameParam(call, v);
  const policyName = policyNameParam(call, v);
  v.done();
  call.requireAllowed({ action: 'iam:GetRolePolicy', resource: iam.roleArn(name) });
  const role = iam.requireRole(name);
  const p = iam.store.getRolePolicy(name, policyName);
  if (p === undefined) throw new AwsError('NoSuchEntity', `The role policy with name ${policyName} cannot be found.`, 404);
  return { RoleName: role.roleName, PolicyName: p.policyName, PolicyDocument: encodePolicy(p.document) };
};

const listRolePolicies: Handler = (iam, call) => {
  const v = new ConstraintValidator();
  const name = roleNameParam(call, v);
  v.done();
  call.requireAllowed({ action: 'iam:ListRolePolicies', resource: iam.roleArn(name) });
  iam.requireRole(name);
  const { page, IsTruncated, Marker } = paginate(call, v, iam.store.listRolePolicies(name));
  return { PolicyNames: page.map((p) => p.policyName), IsTruncated, Marker };
};

const deleteRolePolicy: Handler = (iam, call) => {
  const v = new ConstraintValidator();
  const name = roleNameParam(call, v);
  const policyName = policyNameParam(call, v);
  v.done();
  call.requireAllowed({ action: 'iam:DeleteRolePolicy', resource: iam.roleArn(name) });
  iam.requireRole(name);
  if (!iam.store.deleteRolePolicy(name, policyName)) throw new AwsError('NoSuchEntity', `The role policy with name ${policyName} cannot be found.`, 404);
  return undefined;
};

// ------------------------------------------------------------------------------------------ managed policies

const createPolicy: Handler = (iam, call) => {
  const v = new ConstraintValidator();
  const name = policyNameParam(call, v);
  const doc = documentParam(call, v, 'PolicyDocument');
  const path = pathParam(call, v, POLICY_PATH_RE, POLICY_PATH_TEXT);
  const description = descriptionParam(call, v);
  const tags = tagsParam(call, v) ?? [];
  v.done();
  const arn = formatPolicyArn(iam.plane.accountId, name, path ?? '/');
  call.requireAllowed({ action: 'iam:CreatePolicy', resource: arn });
  checkTagKeys(tags);
  validateDocument(doc, 'managed');
  if (iam.store.getPolicyByName(name) !== undefined) {
    throw new AwsError('EntityAlreadyExists', `A policy called ${name} already exists. Duplicate names are not allowed.`, 409);
  }
  const record: ManagedPolicyRecord = {
    arn,
    policyName: name,
    policyId: newPolicyId(iam.plane.random),
    path: path ?? '/',
    description: description ?? null,
    defaultVersionId: 'v1',
    nextVersion: 2,
    tags,
    createDate: call.now,
    updateDate: call.now,
  };
  iam.store.createPolicy(record, doc);
  return { Policy: policyShape(record, 0, 0, true) };
};

function awsPolicyShape(arn: string): XmlObject | undefined {
  const p = getManagedPolicy(arn);
  return p === undefined || p.arn !== arn ? undefined : managedPolicyShape(p);
}

function managedPolicyShape(p: Omit<ManagedPolicy, 'document'>): XmlObject {
  return {
    PolicyName: p.name,
    PolicyId: p.policyId,
    Arn: p.arn,
    Path: p.path,
    DefaultVersionId: p.defaultVersionId,
    AttachmentCount: 0,
    PermissionsBoundaryUsageCount: 0,
    IsAttachable: true,
    Description: p.description,
    CreateDate: new Date(p.createDate),
    UpdateDate: new Date(p.updateDate),
  };
}

const getPolicy: Handler = (iam, call) => {
  const v = new ConstraintValidator();
  const arn = arnParam(call, v, 'PolicyArn');
  v.done();
  call.requireAllowed({ action: 'iam:GetPolicy', resource: arn });
  if (parseIamArn(arn)?.type !== 'policy') throw invalidArn(arn);
  const aws = awsPolicyShape(arn);
  if (aws !== undefined) return { Policy: { ...aws, AttachmentCount: iam.store.attachmentCount(arn), PermissionsBoundaryUsageCount: iam.store.boundaryUsageCount(arn) } };
  const p = iam.store.getPolicy(arn);
  if (p === undefined) throw noSuchPolicy(arn);
  return { Policy: policyShape(p, iam.store.attachmentCount(arn), iam.store.boundaryUsageCount(arn), true) };
};

const getPolicyVersion: Handler = (iam, call) => {
  const v = new ConstraintValidator();
  const arn = arnParam(call, v, 'PolicyArn');
  const versionId = call.params.get('VersionId');
  if (v.required('VersionId', versionId)) v.pattern('VersionId', versionId, VERSION_RE, 'v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?');
  v.done();
  call.requireAllowed({ action: 'iam:GetPolicyVersion', resource: arn });
  if (parseIamArn(arn)?.type !== 'policy') throw invalidArn(arn);
  const aws = getManagedPolicy(arn);
  if (aws !== undefined && aws.arn === arn) {
    if (versionId !== aws.defaultVersionId) throw new AwsError('NoSuchEntity', `Policy ${arn} version ${versionId} does not exist or is not attachable.`, 404);
    return { PolicyVersion: { Document: encodePolicy(JSON.stringify(aws.document, null, 4)), VersionId: aws.defaultVersionId, IsDefaultVersion: true, CreateDate: new Date(aws.updateDate) } };
  }
  const p = iam.store.getPolicy(arn);
  if (p === undefined) throw noSuchPolicy(arn);
  const version = iam.store.getPolicyVersion(arn, versionId!);
  if (version === undefined) throw new AwsError('NoSuchEntity', `Policy ${arn} version ${versionId} does not exist or is not attachable.`, 404);
  return { PolicyVersion: { Document: encodePolicy(version.document), VersionId: version.versionId, IsDefaultVersion: version.versionId === p.defaultVersionId, CreateDate: version.createDate } };
};

const listPolicies: Handler = (iam, call) => {
  const v = new ConstraintValidator();
  const scope = call.params.get('Scope') ?? 'All';
  if (!['All', 'AWS', 'Local'].includes(scope)) v.pattern('Scope', scope, /^$/, '[All, AWS, Local]');
  const onlyAttached = boolParam(call.params.get('OnlyAttached')) ?? false;
  const prefix = pathPrefix(call, v);
  v.done();
  call.requireAllowed({ action: 'iam:ListPolicies', resource: '*' });
  const items: XmlObject[] = [];
  if (scope !== 'Local') {
    for (const p of listManagedPolicies()) {
      const n = iam.store.attachmentCount(p.arn);
      if ((onlyAttached && n === 0) || !p.path.startsWith(prefix)) continue;
      items.push({ ...managedPolicyShape(p), AttachmentCount: n, Description: undefined });
    }
  }
  if (scope !== 'AWS') {
    for (const p of iam.store.listPolicies()) {
      const n = iam.store.attachmentCount(p.arn);
      if ((onlyAttached && n === 0) || !p.path.startsWith(prefix)) continue;
      items.push({ ...policyShape(p, n, iam.store.boundaryUsageCount(p.arn), false), Description: undefined });
    }
  }
  const { page, IsTruncated, Marker } = paginate(call, v, items);
  return { Policies: page, IsTruncated, Marker };
};

const deletePolicy: Handler = (iam, call) => {
  const v = new ConstraintValidator();
  const arn = arnParam(call, v, 'PolicyArn');
  v.done();
  call.requireAllowed({ action: 'iam:DeletePolicy', resource: arn });
  const aws = getManagedPolicy(arn);
  if (aws !== undefined && aws.arn === arn) throw new AwsError('UnmodifiableEntity', `Cannot delete AWS managed policy ${arn}.`, 400);
  iam.customerPolicy(arn);
  if (iam.store.attachmentCount(arn) > 0 || iam.store.boundaryUsageCount(arn) > 0) throw new AwsError('DeleteConflict', 'Cannot delete a policy attached to entities.', 409);
  iam.store.deletePolicy(arn);
  return undefined;
};

const createPolicyVersion: Handler = (iam, call) => {
  const v = new ConstraintValidator();
  const arn = arnParam(call, v, 'PolicyArn');
  const doc = documentParam(call, v, 'PolicyDocument');
  const setAsDefault = boolParam(call.params.get('SetAsDefault')) ?? false;
  v.done();
  call.requireAllowed({ action: 'iam:CreatePolicyVersion', resource: arn });
  const aws = getManagedPolicy(arn);
  if (aws !== undefined && aws.arn === arn) throw new AwsError('UnmodifiableEntity', `Cannot modify AWS managed policy ${arn}.`, 400);
  iam.customerPolicy(arn);
  validateDocument(doc, 'managed');
  if (iam.store.listPolicyVersions(arn).length >= IAM_QUOTAS.policyVersions) {
    throw new PolicySizeLimitError(`A managed policy can have up to ${IAM_QUOTAS.policyVersions} versions. Before you create a new version, you must delete an existing version.`, IAM_QUOTAS.policyVersions + 1, IAM_QUOTAS.policyVersions);
  }
  const versionId = iam.store.addPolicyVersion(arn, doc, setAsDefault, call.now);
  return { PolicyVersion: { Document: encodePolicy(doc), VersionId: versionId, IsDefaultVersion: setAsDefault, CreateDate: call.now } };
};

// ------------------------------------------------------------------------------------------ OIDC providers

/** IAM's rules for a provider URL (spec 5.4): https, a host, no port, query or fragment. */
function checkProviderUrl(url: string): void {
  let u: URL | undefined;
  try {
    u = new URL(url);
  } catch {
    u = undefined;
  }
  if (u === undefined || u.protocol !== 'https:' || u.hostname === '' || u.port !== '' || u.search !== '' || u.hash !== '' || u.username !== '' || !url.startsWith('https://')) {
    throw new AwsError('InvalidInput', 'Invalid Open ID Connect Provider URL', 400);
  }
}

function clientIdsParam(call: QueryCall, v: ConstraintValidator, name: string): string[] | undefined {
  const ids = listParam(call.params, name);
  ids?.forEach((id, i) => v.length(`${name}.member.${i + 1}`, id, 1, 255));
  return ids;
}

function thumbprintsParam(call: QueryCall, v: ConstraintValidator): string[] | undefined {
  const list = listParam(call.params, 'ThumbprintList');
  list?.forEach((t, i) => v.length(`ThumbprintList.member.${i + 1}`, t, 40, 40));
  return list;
}

function checkThumbprints(list: readonly string[]): void {
  if (list.length > IAM_QUOTAS.thumbprintsPerProvider) throw new AwsError('InvalidInput', 'Thumbprint list must contain fewer than 5 entries.', 400);
  for (const t of list) if (!THUMBPRINT_RE.test(t)) throw new AwsError('InvalidInput', `Thumbprint ${t} is not a 40-character hexadecimal SHA-1 fingerprint.`, 400);
}

function clientIdQuota(): PolicySizeLimitError {
  return new PolicySizeLimitError(`Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: ${IAM_QUOTAS.clientIdsPerProvider}`, IAM_QUOTAS.clientIdsPerProvider + 1, IAM_QUOTAS.clientIdsPerProvider);
}

const createOpenIDConnectProvider: Handler = (iam, call) => {
  const v = new ConstraintValidator();
  const url = call.params.get('Url');
  if (v.required('Url', url)) v.length('Url', url, 1, 255);
  const clientIds = clientIdsParam(call, v, 'ClientIDList') ?? [];
  const thumbprints = thumbprintsParam(call, v) ?? [];
  const tags = tagsParam(call, v) ?? [];
  v.done();
  checkProviderUrl(url!);
  const arn = formatOidcProviderArn(iam.plane.accountId, url!);
  call.requireAllowed({ action: 'iam:CreateOpenIDConnectProvider', resource: arn });
  checkTagKeys(tags);
  checkThumbprints(thumbprints);
  if (clientIds.length > IAM_QUOTAS.clientIdsPerProvider) throw clientIdQuota();
  if (iam.store.getOidcProviderByUrl(url!) !== undefined || iam.store.getOidcProvider(arn) !== undefined) {
    throw new AwsError('EntityAlreadyExists', `Provider with url ${url} already exists.`, 409);
  }
  if (iam.store.listOidcProviders().length >= IAM_QUOTAS.providersPerAccount) {
    throw new PolicySizeLimitError(`Cannot exceed quota for OpenIdConnectProvidersPerAccount: ${IAM_QUOTAS.providersPerAccount}`, IAM_QUOTAS.providersPerAccount + 1, IAM_QUOTAS.providersPerAccount);
  }
  iam.store.createOidcProvider({ arn, url: url!, clientIds: [...new Set(clientIds)], thumbprints, tags, createDate: call.now });
  return { OpenIDConnectProviderArn: arn, Tags: tags.length > 0 ? tags.map((t) => ({ Key: t.Key, Value: t.Value })) : undefined };
};

function providerArnParam(call: QueryCall, v: ConstraintValidator): string {
  return arnParam(call, v, 'OpenIDConnectProviderArn');
}

const getOpenIDConnectProvider: Handler = (iam, call) => {
  const v = new ConstraintValidator();
  const arn = providerArnParam(call, v);
  v.done();
  call.requireAllowed({ action: 'iam:GetOpenIDConnectProvider', resource: arn });
  const p = iam.requireProvider(arn);
  return {
    Url: p.url.replace(/^https:\/\//, ''),
    ClientIDList: p.clientIds,
    ThumbprintList: p.thumbprints,
    CreateDate: p.createDate,
    Tags: p.tags.map((t) => ({ Key: t.Key, Value: t.Value })),
  };
};

const listOpenIDConnectProviders: Handler = (iam, call) => {
  call.requireAllowed({ action: 'iam:ListOpenIDConnectProviders', resource: '*' });
  return { OpenIDConnectProviderList: iam.store.listOidcProviders().map((p) => ({ Arn: p.arn })) };
};

const deleteOpenIDConnectProvider: Handler = (iam, call) => {
  const v = new ConstraintValidator();
  const arn = providerArnParam(call, v);
  v.done();
  call.requireAllowed({ action: 'iam:DeleteOpenIDConnectProvider', resource: arn });
  if (parseOidcProviderArn(arn) === undefined) throw invalidArn(arn);
  // Idempotent, as AWS documents: deleting a provider that does not exist succeeds.
  iam.store.deleteOidcProvider(arn);
  return undefined;
};

const addClientIDToOpenIDConnectProvider: Handler = (iam, call) => {
  const v = new ConstraintValidator();
  const arn = providerArnParam(call, v);
  const clientId = call.params.get('ClientID');
  if (v.required('ClientID', clientId)) v.length('ClientID', clientId, 1, 255);
  v.done();
  call.requireAllowed({ action: 'iam:AddClientIDToOpenIDConnectProvider', resource: arn });
  const p = iam.requireProvider(arn);
  if (p.clientIds.includes(clientId!)) return undefined;
  if (p.clientIds.length >= IAM_QUOTAS.clientIdsPerProvider) throw clientIdQuota();
  iam.store.setOidcProviderClientIds(arn, [...p.clientIds, clientId!]);
  return undefined;
};

const removeClientIDFromOpenIDConnectProvider: Handler = (iam, call) => {
  const v = new ConstraintValidator();
  const arn = providerArnParam(call, v);
  const clientId = call.params.get('ClientID');
  if (v.required('ClientID', clientId)) v.length('ClientID', clientId, 1, 255);
  v.done();
  call.requireAllowed({ action: 'iam:RemoveClientIDFromOpenIDConnectProvider', resource: arn });
  const p = iam.requireProvider(arn);
  iam.store.setOidcProviderClientIds(arn, p.clientIds.filter((c) => c !== clientId));
  return undefined;
};

const updateOpenIDConnectProviderThumbprint: Handler = (iam, call) => {
  const v = new ConstraintValidator();
  const arn = providerArnParam(call, v);
  const thumbprints = thumbprintsParam(call, v);
  v.required('ThumbprintList', thumbprints);
  v.done();
  call.requireAllowed({ action: 'iam:UpdateOpenIDConnectProviderThumbprint', resource: arn });
  iam.requireProvider(arn);
  checkThumbprints(thumbprints!);
  iam.store.setOidcProviderThumbprints(arn, thumbprints!);
  return undefined;
};

// ------------------------------------------------------------------------------------------ users and keys

const createUser: Handler = (iam, call) => {
  const v = new ConstraintValidator();
  const name = userNameParam(call, v, true)!;
  const path = pathParam(call, v, PATH_RE, PATH_TEXT);
  const tags = tagsParam(call, v) ?? [];
  v.done();
  const arn = formatUserArn(iam.plane.accountId, name, path ?? '/');
  call.requireAllowed({ action: 'iam:CreateUser', resource: arn });
  checkTagKeys(tags);
  if (iam.store.getUser(name) !== undefined) throw new AwsError('EntityAlreadyExists', `User with name ${name} already exists.`, 409);
  const user = { userName: name, userId: newUserId(iam.plane.random), arn, path: path ?? '/', tags, createDate: call.now };
  iam.store.createUser(user);
  return { User: { Path: user.path, UserName: name, UserId: user.userId, Arn: arn, CreateDate: call.now, Tags: tags.length > 0 ? tags.map((t) => ({ Key: t.Key, Value: t.Value })) : undefined } };
};

/** The user an access-key action concerns: the named one, else the caller (when the caller is a user). */
function keyUser(iam: Iam, call: QueryCall, v: ConstraintValidator): string {
  const named = userNameParam(call, v, false);
  v.done();
  if (named !== undefined) return named;
  const p = call.caller?.principal;
  if (p?.kind === 'user') return p.userName;
  throw new AwsError('ValidationError', 'Must specify userName when calling with non-User credentials', 400);
}

const createAccessKey: Handler = (iam, call) => {
  const v = new ConstraintValidator();
  const name = keyUser(iam, call, v);
  call.requireAllowed({ action: 'iam:CreateAccessKey', resource: iam.store.getUser(name)?.arn ?? formatUserArn(iam.plane.accountId, name) });
  const user = iam.store.getUser(name);
  if (user === undefined) throw new AwsError('NoSuchEntity', `The user with name ${name} cannot be found.`, 404);
  if (iam.store.listAccessKeys(name).length >= IAM_QUOTAS.accessKeysPerUser) {
    throw new PolicySizeLimitError(`Cannot exceed quota for AccessKeysPerUser: ${IAM_QUOTAS.accessKeysPerUser}`, IAM_QUOTAS.accessKeysPerUser + 1, IAM_QUOTAS.accessKeysPerUser);
  }
  const key = { accessKeyId: newAccessKeyId(iam.plane.random), userName: user.userName, secretAccessKey: newSecretAccessKey(iam.plane.random), status: 'Active' as const, createDate: call.now };
  iam.store.createAccessKey(key);
  return { AccessKey: { UserName: key.userName, AccessKeyId: key.accessKeyId, Status: key.status, SecretAccessKey: key.secretAccessKey, CreateDate: key.createDate } };
};

const listAccessKeys: Handler = (iam, call) => {
  const v = new ConstraintValidator();
  const name = keyUser(iam, call, v);
  call.requireAllowed({ action: 'iam:ListAccessKeys', resource: iam.store.getUser(name)?.arn ?? formatUserArn(iam.plane.accountId, name) });
  const user = iam.store.getUser(name);
  if (user === undefined) throw new AwsError('NoSuchEntity', `The user with name ${name} cannot be found.`, 404);
  const { page, IsTruncated, Marker } = paginate(call, v, iam.store.listAccessKeys(name));
  return { AccessKeyMetadata: page.map((k) => ({ UserName: k.userName, AccessKeyId: k.accessKeyId, Status: k.status, CreateDate: k.createDate })), IsTruncated, Marker };
};

/** Every IAM action this plane answers, by wire name. */
export const IAM_ACTIONS: Readonly<Record<string, Handler>> = {
  CreateRole: createRole,
  GetRole: getRole,
  ListRoles: listRoles,
  DeleteRole: deleteRole,
  UpdateRole: updateRole,
  UpdateAssumeRolePolicy: updateAssumeRolePolicy,
  TagRole: tagRole,
  UntagRole: untagRole,
  ListRoleTags: listRoleTags,
  AttachRolePolicy: attachRolePolicy,
  DetachRolePolicy: detachRolePolicy,
  ListAttachedRolePolicies: listAttachedRolePolicies,
  PutRolePolicy: putRolePolicy,
  GetRolePolicy: getRolePolicy,
  ListRolePolicies: listRolePolicies,
  DeleteRolePolicy: deleteRolePolicy,
  CreatePolicy: createPolicy,
  GetPolicy: getPolicy,
  GetPolicyVersion: getPolicyVersion,
  ListPolicies: listPolicies,
  DeletePolicy: deletePolicy,
  CreatePolicyVersion: createPolicyVersion,
  CreateOpenIDConnectProvider: createOpenIDConnectProvider,
  GetOpenIDConnectProvider: getOpenIDConnectProvider,
  ListOpenIDConnectProviders: listOpenIDConnectProviders,
  DeleteOpenIDConnectProvider: deleteOpenIDConnectProvider,
  AddClientIDToOpenIDConnectProvider: addClientIDToOpenIDConnectProvider,
  RemoveClientIDFromOpenIDConnectProvider: removeClientIDFromOpenIDConnectProvider,
  UpdateOpenIDConnectProviderThumbprint: updateOpenIDConnectProviderThumbprint,
  CreateUser: createUser,
  CreateAccessKey: createAccessKey,
  ListAccessKeys: listAccessKeys,
};

/**
 * The IAM query service of a plane.
 * @example
 * createPlane({ db }) // registers iamService by default
 */
export function iamService(plane: Plane): QueryService {
  const iam = new Iam(plane);
  const actions: Record<string, QueryAction> = {};
  for (const [name, handler] of Object.entries(IAM_ACTIONS)) actions[name] = { auth: 'signed', handle: (call) => handler(iam, call) };
  return { name: 'iam', version: IAM_API_VERSION, namespace: IAM_XML_NAMESPACE, actions };
}
