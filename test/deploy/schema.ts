/**
 * A small JSON-schema subset (type, required, properties, additionalProperties, items, enum, pattern) and schemas
 * for the Kubernetes kinds in deploy/, written from the API reference (apps/v1, v1, policy/v1, rbac/v1,
 * admissionregistration/v1, cert-manager.io/v1). Sections the webhook cares about are closed
 * (`additionalProperties: false`), so a misspelt field fails instead of being silently dropped by the API server.
 */

export interface Schema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'boolean' | 'number' | Array<'string' | 'integer'>;
  required?: string[];
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  items?: Schema;
  enum?: unknown[];
  pattern?: RegExp;
  minItems?: number;
  minimum?: number;
}

function typeOf(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/** Returns the list of violations (`path: message`), empty when `value` conforms. */
export function validate(value: unknown, schema: Schema, path = '$'): string[] {
  const errors: string[] = [];
  if (schema.type) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    const actual = typeOf(value);
    const ok = types.some((t) => t === actual || (t === 'number' && actual === 'integer'));
    if (!ok) return [`${path}: expected ${types.join('|')}, got ${actual}`];
  }
  if (schema.enum && !schema.enum.includes(value)) errors.push(`${path}: ${JSON.stringify(value)} not one of ${JSON.stringify(schema.enum)}`);
  if (schema.pattern && typeof value === 'string' && !schema.pattern.test(value)) errors.push(`${path}: ${JSON.stringify(value)} does not match ${schema.pattern}`);
  if (schema.minimum !== undefined && typeof value === 'number' && value < schema.minimum) errors.push(`${path}: ${value} < ${schema.minimum}`);
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) errors.push(`${path}: fewer than ${schema.minItems} items`);
    if (schema.items) value.forEach((item, i) => errors.push(...validate(item, schema.items!, `${path}[${i}]`)));
  }
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    for (const key of schema.required ?? []) if (!(key in obj)) errors.push(`${path}: missing required field ${key}`);
    for (const [key, v] of Object.entries(obj)) {
      const sub = schema.properties?.[key];
      if (sub) errors.push(...validate(v, sub, `${path}.${key}`));
      else if (schema.additionalProperties === false) errors.push(`${path}: unknown field ${key}`);
      else if (schema.additionalProperties && typeof schema.additionalProperties === 'object') errors.push(...validate(v, schema.additionalProperties, `${path}.${key}`));
    }
  }
  return errors;
}

const str: Schema = { type: 'string' };
const int: Schema = { type: 'integer' };
const bool: Schema = { type: 'boolean' };
const strMap: Schema = { type: 'object', additionalProperties: str };
const strList: Schema = { type: 'array', items: str };
const dns1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const intOrString: Schema = { type: ['integer', 'string'] };

const metadata = (namespaced: boolean): Schema => ({
  type: 'object',
  required: namespaced ? ['name', 'namespace'] : ['name'],
  properties: { name: { type: 'string', pattern: dns1123 }, namespace: { type: 'string', pattern: dns1123 }, labels: strMap, annotations: strMap },
  additionalProperties: false,
});

const top = (apiVersion: string, kind: string, namespaced: boolean, rest: Record<string, Schema>, required: string[] = []): Schema => ({
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', ...required],
  properties: { apiVersion: { enum: [apiVersion] }, kind: { enum: [kind] }, metadata: metadata(namespaced), ...rest },
  additionalProperties: false,
});

const labelSelector: Schema = {
  type: 'object',
  properties: {
    matchLabels: strMap,
    matchExpressions: {
      type: 'array',
      items: { type: 'object', required: ['key', 'operator'], properties: { key: str, operator: { enum: ['In', 'NotIn', 'Exists', 'DoesNotExist'] }, values: strList }, additionalProperties: false },
    },
  },
  additionalProperties: false,
};

const seccomp: Schema = { type: 'object', required: ['type'], properties: { type: { enum: ['RuntimeDefault', 'Localhost', 'Unconfined'] }, localhostProfile: str }, additionalProperties: false };

const probe: Schema = {
  type: 'object',
  properties: {
    httpGet: { type: 'object', required: ['port'], properties: { path: str, port: intOrString, scheme: { enum: ['HTTP', 'HTTPS'] }, host: str }, additionalProperties: false },
    initialDelaySeconds: int,
    periodSeconds: int,
    timeoutSeconds: int,
    failureThreshold: int,
    successThreshold: int,
  },
  additionalProperties: false,
};

const container: Schema = {
  type: 'object',
  required: ['name', 'image'],
  properties: {
    name: str,
    image: str,
    imagePullPolicy: { enum: ['Always', 'IfNotPresent', 'Never'] },
    command: strList,
    args: strList,
    ports: { type: 'array', items: { type: 'object', required: ['containerPort'], properties: { name: str, containerPort: int, protocol: { enum: ['TCP', 'UDP', 'SCTP'] } }, additionalProperties: false } },
    env: { type: 'array', items: { type: 'object', required: ['name'], properties: { name: str, value: str }, additionalProperties: false } },
    livenessProbe: probe,
    readinessProbe: probe,
    startupProbe: probe,
    resources: {
      type: 'object',
      properties: { requests: { type: 'object', additionalProperties: intOrString }, limits: { type: 'object', additionalProperties: intOrString } },
      additionalProperties: false,
    },
    securityContext: {
      type: 'object',
      properties: {
        allowPrivilegeEscalation: bool,
        readOnlyRootFilesystem: bool,
        runAsNonRoot: bool,
        runAsUser: int,
        runAsGroup: int,
        privileged: bool,
        capabilities: { type: 'object', properties: { drop: strList, add: strList }, additionalProperties: false },
        seccompProfile: seccomp,
      },
      additionalProperties: false,
    },
    volumeMounts: { type: 'array', items: { type: 'object', required: ['name', 'mountPath'], properties: { name: str, mountPath: str, readOnly: bool, subPath: str }, additionalProperties: false } },
  },
  additionalProperties: false,
};

const podSpec: Schema = {
  type: 'object',
  required: ['containers'],
  properties: {
    serviceAccountName: str,
    automountServiceAccountToken: bool,
    terminationGracePeriodSeconds: int,
    priorityClassName: str,
    affinity: {
      type: 'object',
      properties: {
        podAntiAffinity: {
          type: 'object',
          properties: {
            preferredDuringSchedulingIgnoredDuringExecution: {
              type: 'array',
              items: {
                type: 'object',
                required: ['weight', 'podAffinityTerm'],
                properties: {
                  weight: int,
                  podAffinityTerm: { type: 'object', required: ['topologyKey'], properties: { topologyKey: str, labelSelector }, additionalProperties: false },
                },
                additionalProperties: false,
              },
            },
            requiredDuringSchedulingIgnoredDuringExecution: { type: 'array' },
          },
          additionalProperties: false,
        },
      },
      additionalProperties: false,
    },
    securityContext: {
      type: 'object',
      properties: { runAsNonRoot: bool, runAsUser: int, runAsGroup: int, fsGroup: int, seccompProfile: seccomp },
      additionalProperties: false,
    },
    containers: { type: 'array', minItems: 1, items: container },
    volumes: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name'],
        properties: {
          name: str,
          secret: { type: 'object', required: ['secretName'], properties: { secretName: str, defaultMode: int }, additionalProperties: false },
          emptyDir: { type: 'object', properties: { sizeLimit: intOrString, medium: str }, additionalProperties: false },
        },
        additionalProperties: false,
      },
    },
  },
  additionalProperties: false,
};

const policyRule: Schema = {
  type: 'object',
  required: ['verbs'],
  properties: { apiGroups: strList, resources: strList, resourceNames: strList, verbs: { type: 'array', minItems: 1, items: { enum: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection', '*'] } } },
  additionalProperties: false,
};
const roleRef: Schema = { type: 'object', required: ['apiGroup', 'kind', 'name'], properties: { apiGroup: { enum: ['rbac.authorization.k8s.io'] }, kind: { enum: ['Role', 'ClusterRole'] }, name: str }, additionalProperties: false };
const subjects: Schema = { type: 'array', items: { type: 'object', required: ['kind', 'name'], properties: { kind: { enum: ['ServiceAccount', 'User', 'Group'] }, name: str, namespace: str, apiGroup: str }, additionalProperties: false } };

const webhook: Schema = {
  type: 'object',
  required: ['name', 'clientConfig', 'sideEffects', 'admissionReviewVersions'],
  properties: {
    name: { type: 'string', pattern: /^[a-z0-9-]+(\.[a-z0-9-]+)+$/ },
    admissionReviewVersions: { type: 'array', minItems: 1, items: { enum: ['v1', 'v1beta1'] } },
    sideEffects: { enum: ['None', 'NoneOnDryRun', 'Some', 'Unknown'] },
    failurePolicy: { enum: ['Ignore', 'Fail'] },
    reinvocationPolicy: { enum: ['Never', 'IfNeeded'] },
    matchPolicy: { enum: ['Exact', 'Equivalent'] },
    timeoutSeconds: { type: 'integer', minimum: 1 },
    clientConfig: {
      type: 'object',
      properties: {
        caBundle: { type: 'string', pattern: /^[A-Za-z0-9+/=\s]+$/ },
        url: str,
        service: { type: 'object', required: ['name', 'namespace'], properties: { name: str, namespace: str, path: str, port: int }, additionalProperties: false },
      },
      additionalProperties: false,
    },
    rules: {
      type: 'array',
      items: {
        type: 'object',
        properties: { operations: { type: 'array', items: { enum: ['CREATE', 'UPDATE', 'DELETE', 'CONNECT', '*'] } }, apiGroups: strList, apiVersions: strList, resources: strList, scope: { enum: ['Cluster', 'Namespaced', '*'] } },
        additionalProperties: false,
      },
    },
    objectSelector: labelSelector,
    namespaceSelector: labelSelector,
  },
  additionalProperties: false,
};

const issuerRef: Schema = { type: 'object', required: ['name'], properties: { name: str, kind: { enum: ['Issuer', 'ClusterIssuer'] }, group: str }, additionalProperties: false };

/** Schemas by `apiVersion/kind`. */
export const schemas: Record<string, Schema> = {
  'v1/Namespace': top('v1', 'Namespace', false, {}),
  'v1/ServiceAccount': top('v1', 'ServiceAccount', true, { automountServiceAccountToken: bool }),
  'v1/Secret': top('v1', 'Secret', true, { type: str, data: { type: 'object', additionalProperties: { type: 'string', pattern: /^[A-Za-z0-9+/=\s]*$/ } }, stringData: strMap }),
  'v1/Service': top('v1', 'Service', true, {
    spec: {
      type: 'object',
      required: ['ports', 'selector'],
      properties: {
        type: { enum: ['ClusterIP', 'NodePort', 'LoadBalancer'] },
        selector: strMap,
        ports: { type: 'array', minItems: 1, items: { type: 'object', required: ['port'], properties: { name: str, port: int, targetPort: intOrString, protocol: { enum: ['TCP', 'UDP', 'SCTP'] } }, additionalProperties: false } },
      },
      additionalProperties: false,
    },
  }, ['spec']),
  'apps/v1/Deployment': top('apps/v1', 'Deployment', true, {
    spec: {
      type: 'object',
      required: ['selector', 'template'],
      properties: {
        replicas: int,
        revisionHistoryLimit: int,
        selector: labelSelector,
        strategy: {
          type: 'object',
          properties: { type: { enum: ['RollingUpdate', 'Recreate'] }, rollingUpdate: { type: 'object', properties: { maxUnavailable: intOrString, maxSurge: intOrString }, additionalProperties: false } },
          additionalProperties: false,
        },
        template: { type: 'object', required: ['metadata', 'spec'], properties: { metadata: { type: 'object', properties: { labels: strMap, annotations: strMap }, additionalProperties: false }, spec: podSpec }, additionalProperties: false },
      },
      additionalProperties: false,
    },
  }, ['spec']),
  'networking.k8s.io/v1/NetworkPolicy': top('networking.k8s.io/v1', 'NetworkPolicy', true, {
    spec: {
      type: 'object',
      required: ['podSelector'],
      properties: {
        podSelector: labelSelector,
        policyTypes: { type: 'array', items: { enum: ['Ingress', 'Egress'] } },
        ingress: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              from: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    ipBlock: { type: 'object', required: ['cidr'], properties: { cidr: { type: 'string', pattern: /^[0-9a-fA-F:.]+\/[0-9]{1,3}$/ }, except: { type: 'array', items: str } }, additionalProperties: false },
                    namespaceSelector: labelSelector,
                    podSelector: labelSelector,
                  },
                  additionalProperties: false,
                },
              },
              ports: { type: 'array', items: { type: 'object', properties: { protocol: { enum: ['TCP', 'UDP', 'SCTP'] }, port: intOrString, endPort: int }, additionalProperties: false } },
            },
            additionalProperties: false,
          },
        },
      },
      additionalProperties: false,
    },
  }),
  'policy/v1/PodDisruptionBudget': top('policy/v1', 'PodDisruptionBudget', true, {
    spec: { type: 'object', required: ['selector'], properties: { minAvailable: intOrString, maxUnavailable: intOrString, selector: labelSelector }, additionalProperties: false },
  }, ['spec']),
  'rbac.authorization.k8s.io/v1/ClusterRole': top('rbac.authorization.k8s.io/v1', 'ClusterRole', false, { rules: { type: 'array', items: policyRule } }),
  'rbac.authorization.k8s.io/v1/Role': top('rbac.authorization.k8s.io/v1', 'Role', true, { rules: { type: 'array', items: policyRule } }),
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': top('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', false, { roleRef, subjects }, ['roleRef']),
  'rbac.authorization.k8s.io/v1/RoleBinding': top('rbac.authorization.k8s.io/v1', 'RoleBinding', true, { roleRef, subjects }, ['roleRef']),
  'admissionregistration.k8s.io/v1/MutatingWebhookConfiguration': top('admissionregistration.k8s.io/v1', 'MutatingWebhookConfiguration', false, {
    webhooks: { type: 'array', minItems: 1, items: webhook },
  }),
  'cert-manager.io/v1/Issuer': top('cert-manager.io/v1', 'Issuer', true, {
    spec: {
      type: 'object',
      properties: { selfSigned: { type: 'object' }, ca: { type: 'object', required: ['secretName'], properties: { secretName: str }, additionalProperties: false } },
      additionalProperties: false,
    },
  }, ['spec']),
  'cert-manager.io/v1/Certificate': top('cert-manager.io/v1', 'Certificate', true, {
    spec: {
      type: 'object',
      required: ['secretName', 'issuerRef'],
      properties: {
        secretName: str,
        commonName: str,
        dnsNames: strList,
        isCA: bool,
        duration: { type: 'string', pattern: /^(\d+h)?(\d+m)?(\d+s)?$/ },
        renewBefore: { type: 'string', pattern: /^(\d+h)?(\d+m)?(\d+s)?$/ },
        usages: { type: 'array', items: { enum: ['server auth', 'client auth', 'digital signature', 'key encipherment', 'cert sign', 'crl sign'] } },
        privateKey: {
          type: 'object',
          properties: { algorithm: { enum: ['RSA', 'ECDSA', 'Ed25519'] }, size: int, rotationPolicy: { enum: ['Never', 'Always'] }, encoding: { enum: ['PKCS1', 'PKCS8'] } },
          additionalProperties: false,
        },
        issuerRef,
      },
      additionalProperties: false,
    },
  }, ['spec']),
};

/** Validates one Kubernetes object against the schema of its kind; an unknown kind is itself an error. */
export function validateObject(obj: Record<string, unknown>): string[] {
  const key = `${String(obj.apiVersion)}/${String(obj.kind)}`;
  const schema = schemas[key];
  const name = `${key} ${String((obj.metadata as { name?: unknown } | undefined)?.name)}`;
  if (!schema) return [`${name}: no schema for this kind`];
  return validate(obj, schema).map((e) => `${name}: ${e}`);
}
