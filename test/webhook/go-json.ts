/**
 * Test helper: Go `encoding/json` of the patch as upstream emits it (k8s.io/api v0.36.0 field order, omitempty,
 * zero values, dropped unknown fields, Go string escaping; spec Appendix A), for byte-for-byte fixture replay.
 * Covers the types the fixtures contain; fields it does not model are dropped, as Go drops unknown fields.
 */

type Kind = 'string' | 'bool' | 'int' | 'raw' | Schema | { list: Kind } | { map: Kind };
interface Field { name: string; kind: Kind; always?: 'zero' | 'null' }
type Schema = Field[];

const f = (name: string, kind: Kind, always?: 'zero' | 'null'): Field => (always === undefined ? { name, kind } : { name, kind, always });

const EnvVar: Schema = [f('name', 'string', 'zero'), f('value', 'string'), f('valueFrom', 'raw')];
const VolumeMount: Schema = [f('name', 'string', 'zero'), f('readOnly', 'bool'), f('recursiveReadOnly', 'string'), f('mountPath', 'string', 'zero'), f('subPath', 'string'), f('mountPropagation', 'string'), f('subPathExpr', 'string')];
const ContainerPort: Schema = [f('name', 'string'), f('hostPort', 'int'), f('containerPort', 'int', 'zero'), f('protocol', 'string'), f('hostIP', 'string')];
const GRPCAction: Schema = [f('port', 'int', 'zero'), f('service', 'string', 'null')];
const HTTPGetAction: Schema = [f('path', 'string'), f('port', 'raw', 'zero'), f('host', 'string'), f('scheme', 'string'), f('httpHeaders', 'raw')];
const TCPSocketAction: Schema = [f('port', 'raw', 'zero'), f('host', 'string')];
const ExecAction: Schema = [f('command', { list: 'string' })];
const Probe: Schema = [
  f('exec', ExecAction), f('httpGet', HTTPGetAction), f('tcpSocket', TCPSocketAction), f('grpc', GRPCAction),
  f('initialDelaySeconds', 'int'), f('timeoutSeconds', 'int'), f('periodSeconds', 'int'), f('successThreshold', 'int'), f('failureThreshold', 'int'), f('terminationGracePeriodSeconds', 'int'),
];
const SeccompProfile: Schema = [f('type', 'string', 'zero'), f('localhostProfile', 'string')];
const SecurityContext: Schema = [
  f('capabilities', 'raw'), f('privileged', 'bool'), f('seLinuxOptions', 'raw'), f('windowsOptions', 'raw'), f('runAsUser', 'int'), f('runAsGroup', 'int'),
  f('runAsNonRoot', 'bool'), f('readOnlyRootFilesystem', 'bool'), f('allowPrivilegeEscalation', 'bool'), f('procMount', 'string'), f('seccompProfile', SeccompProfile), f('appArmorProfile', 'raw'),
];
const ResourceRequirements: Schema = [f('limits', { map: 'string' }), f('requests', { map: 'string' }), f('claims', 'raw')];
const Container: Schema = [
  f('name', 'string', 'zero'), f('image', 'string'), f('command', { list: 'string' }), f('args', { list: 'string' }), f('workingDir', 'string'),
  f('ports', { list: ContainerPort }), f('envFrom', 'raw'), f('env', { list: EnvVar }), f('resources', ResourceRequirements, 'zero'), f('resizePolicy', 'raw'),
  f('restartPolicy', 'string'), f('restartPolicyRules', 'raw'), f('volumeMounts', { list: VolumeMount }), f('volumeDevices', 'raw'),
  f('livenessProbe', Probe), f('readinessProbe', Probe), f('startupProbe', Probe), f('lifecycle', 'raw'), f('terminationMessagePath', 'string'),
  f('terminationMessagePolicy', 'string'), f('imagePullPolicy', 'string'), f('securityContext', SecurityContext), f('stdin', 'bool'), f('stdinOnce', 'bool'), f('tty', 'bool'),
];
const ServiceAccountTokenProjection: Schema = [f('audience', 'string'), f('expirationSeconds', 'int'), f('path', 'string', 'zero')];
const VolumeProjection: Schema = [f('secret', 'raw'), f('downwardAPI', 'raw'), f('configMap', 'raw'), f('serviceAccountToken', ServiceAccountTokenProjection), f('clusterTrustBundle', 'raw'), f('podCertificate', 'raw')];
const Projected: Schema = [f('sources', { list: VolumeProjection }, 'zero'), f('defaultMode', 'int')];
const HostPath: Schema = [f('path', 'string', 'zero'), f('type', 'string')];
const Volume: Schema = [f('name', 'string', 'zero'), f('hostPath', HostPath), f('emptyDir', 'raw'), f('secret', 'raw'), f('configMap', 'raw'), f('projected', Projected)];

/** Go's `json.Marshal` string escaping (HTML-safe). */
function goString(s: string): string {
  return JSON.stringify(s).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function isEmpty(kind: Kind, v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (kind === 'string') return v === '';
  if (kind === 'bool') return v === false;
  if (kind === 'int') return v === 0;
  if (typeof kind === 'object' && ('list' in kind)) return Array.isArray(v) && v.length === 0;
  if (typeof kind === 'object' && ('map' in kind)) return typeof v === 'object' && Object.keys(v as object).length === 0;
  return false; // structs behind pointers: only nil is empty
}

function encode(kind: Kind, v: unknown): string {
  if (kind === 'string') return goString(String(v ?? ''));
  if (kind === 'bool') return v === true ? 'true' : 'false';
  if (kind === 'int') return String(v ?? 0);
  if (kind === 'raw') return encodeRaw(v);
  if (Array.isArray(kind)) {
    const o = (v ?? {}) as Record<string, unknown>;
    const parts: string[] = [];
    for (const field of kind) {
      const value = o[field.name];
      if (field.always === 'null' && (value === undefined || value === null)) { parts.push(`${goString(field.name)}:null`); continue; }
      if (field.always === undefined && isEmpty(field.kind, value)) continue;
      parts.push(`${goString(field.name)}:${encode(field.kind, value)}`);
    }
    return `{${parts.join(',')}}`;
  }
  if ('list' in kind) return v === undefined || v === null ? 'null' : `[${(v as unknown[]).map((x) => encode(kind.list, x)).join(',')}]`;
  const m = (v ?? {}) as Record<string, unknown>;
  return `{${Object.keys(m).sort().map((k) => `${goString(k)}:${encode(kind.map, m[k])}`).join(',')}}`;
}

/** Values the schema does not model: maps with sorted keys (what Go does for maps). */
function encodeRaw(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return goString(v);
  if (typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(encodeRaw).join(',')}]`;
  return `{${Object.keys(v).sort().map((k) => `${goString(k)}:${encodeRaw((v as Record<string, unknown>)[k])}`).join(',')}}`;
}

/** The patch as upstream's Go code serialises it. */
export function goEncodePatch(patch: ReadonlyArray<{ op: string; path: string; value?: unknown }>): string {
  return `[${patch.map((op) => {
    let value: string;
    if (op.path === '/spec/containers' || op.path === '/spec/initContainers') value = encode({ list: Container }, op.value);
    else if (op.path === '/spec/volumes') value = encode({ list: Volume }, op.value);
    else if (op.path === '/spec/volumes/0') value = encode(Volume, op.value);
    else if (op.path === '/metadata/labels') value = encode({ map: 'string' }, op.value);
    else value = encodeRaw(op.value);
    return `{"op":${goString(op.op)},"path":${goString(op.path)},"value":${value}}`;
  }).join(',')}]`;
}
