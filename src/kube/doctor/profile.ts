/**
 * The shared AWS config and credentials files as the SDKs read them for the selected profile (AWS_PROFILE, else
 * AWS_DEFAULT_PROFILE, else `default`): what the profile holds decides whether it supplies the web identity (the
 * OpenShift operator path: `role_arn` + `web_identity_token_file`) or credentials that win over it.
 * @module
 */
import { join } from 'node:path';
import { ENV_CONFIG_FILE, ENV_DEFAULT_PROFILE, ENV_PROFILE, ENV_SHARED_CREDENTIALS_FILE } from '../../lib/wire-names.js';
import { fail, ok, type CheckResult } from './check.js';
import { envValue, type DoctorEnv } from './environment.js';

/** The selected profile: its merged keys and the files they came from. */
export interface SharedProfile {
  name: string;
  /** Whether AWS_PROFILE / AWS_DEFAULT_PROFILE named it (else it is `default`). */
  explicit: boolean;
  /** Keys (lower-cased) from the config file's `[profile NAME]`/`[default]` and the credentials file's `[NAME]`. */
  values: Record<string, string>;
  /** Files holding a section of that name. */
  sources: string[];
}

/**
 * The sections of an AWS shared INI file (`[name]` headers, `key = value` lines, `#`/`;` comments); nested
 * sub-sections (indented `s3 =` blocks) are skipped.
 * @example
 * parseAwsIni('[default]\nrole_arn = arn:aws:iam::1:role/r\n').get('default') // { role_arn: 'arn:aws:iam::1:role/r' }
 */
export function parseAwsIni(text: string): Map<string, Record<string, string>> {
  const sections = new Map<string, Record<string, string>>();
  let current: Record<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    if (/^\s*([#;]|$)/.test(raw)) continue;
    const header = /^\s*\[\s*([^\]]+?)\s*\]\s*$/.exec(raw);
    if (header) {
      current = sections.get(header[1]!) ?? {};
      sections.set(header[1]!, current);
      continue;
    }
    if (current === undefined || /^\s/.test(raw)) continue; // before any section, or a nested value
    const kv = /^([^=]+?)\s*=\s*(.*?)\s*$/.exec(raw);
    if (kv) current[kv[1]!.toLowerCase()] = kv[2]!;
  }
  return sections;
}

/** Reads the selected profile from AWS_CONFIG_FILE (~/.aws/config) and AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials). */
export async function loadSharedProfile(env: DoctorEnv, readFile: (path: string) => Promise<Buffer>): Promise<SharedProfile> {
  const selected = envValue(env, ENV_PROFILE) ?? envValue(env, ENV_DEFAULT_PROFILE);
  const name = selected ?? 'default';
  const home = envValue(env, 'HOME') ?? '~';
  const files: Array<[string, string]> = [
    [envValue(env, ENV_CONFIG_FILE) ?? join(home, '.aws', 'config'), name === 'default' ? 'default' : `profile ${name}`],
    [envValue(env, ENV_SHARED_CREDENTIALS_FILE) ?? join(home, '.aws', 'credentials'), name],
  ];
  const values: Record<string, string> = {};
  const sources: string[] = [];
  for (const [path, section] of files) {
    let text: string;
    try {
      text = (await readFile(path)).toString('utf8');
    } catch {
      continue; // SDKs treat a missing file as empty
    }
    const sections = parseAwsIni(text);
    const found = sections.get(section) ?? (section === 'default' ? sections.get('profile default') : undefined);
    if (found === undefined) continue;
    sources.push(path);
    // the credentials file wins over the config file for the same key, as in both SDKs
    Object.assign(values, found);
  }
  return { name, explicit: selected !== undefined, values, sources };
}

/** Whether a profile supplies the web identity itself (role_arn with web_identity_token_file). */
export function profileWebIdentity(profile: SharedProfile): { roleArn: string; tokenFile: string } | undefined {
  const { role_arn: roleArn, web_identity_token_file: tokenFile } = profile.values;
  return roleArn && tokenFile ? { roleArn, tokenFile } : undefined;
}

/** `env.profile`: what the selected profile holds, and whether it would win over the web identity. */
export function checkProfile(profile: SharedProfile): CheckResult {
  const where = `profile ${profile.name}${profile.sources.length ? ` (${profile.sources.join(', ')})` : ''}`;
  const unset = profile.explicit ? 'unset AWS_PROFILE/AWS_DEFAULT_PROFILE or ' : '';
  const v = profile.values;
  if (profile.sources.length === 0) {
    if (profile.explicit) return fail('env.profile', `${where} is in neither shared file: SDKs stop with "The config profile (${profile.name}) could not be found"`, `unset AWS_PROFILE/AWS_DEFAULT_PROFILE, or create the profile`);
    return ok('env.profile', 'no shared profile: SDKs use the environment\'s web identity');
  }
  if (v.aws_access_key_id !== undefined) {
    return fail('env.profile', `${where} holds static keys (aws_access_key_id): the JS SDK uses them before the web identity`, `${unset}remove the keys from the profile`);
  }
  if (v.role_arn !== undefined && (v.source_profile !== undefined || v.credential_source !== undefined)) {
    return fail('env.profile', `${where} assumes ${v.role_arn} from ${v.source_profile ?? v.credential_source}: SDKs use that before the web identity`, `${unset}remove source_profile/credential_source from the profile`);
  }
  if (v.credential_process !== undefined || v.sso_session !== undefined || v.sso_start_url !== undefined) {
    return fail('env.profile', `${where} uses ${v.credential_process !== undefined ? 'credential_process' : 'SSO'}: SDKs use that before the web identity`, `${unset}remove it from the profile`);
  }
  const web = profileWebIdentity(profile);
  if (web !== undefined) return ok('env.profile', `${where}: web identity, role_arn ${web.roleArn}, web_identity_token_file ${web.tokenFile}`);
  return ok('env.profile', `${where} holds no credentials`);
}
