/**
 * The offline `IdentityStore` (`irsa webhook --service-accounts`, `irsa up`): ServiceAccounts from manifest files,
 * the `pod-identity-webhook` ConfigMap from a file, the Pod Identity config file; all watched (in-place edits,
 * atomic renames, `..data` swaps), kept in a {@link MemoryIdentityStore}. A file that fails to parse keeps the last
 * good content.
 * @module
 */
import { pino } from 'pino';
import { watchConfigFile, watchPath, type ConfigFileWatch, type PathWatch } from '../kube/file-watch.js';
import { loadServiceAccountFiles } from '../kube/service-account-files.js';
import { parseConfigMapFile } from './config-map-file.js';
import { DEFAULT_ANNOTATION_PREFIX } from './constants.js';
import { watchContainerCredentials } from './container-credentials-watch.js';
import type { ConfigMapEntries } from './identity.js';
import type { IdentityStoreCommonOptions, ManagedIdentityStore } from './identity-store.js';
import { MemoryIdentityStore } from './memory-identity-store.js';

export interface FileIdentityStoreOptions extends IdentityStoreCommonOptions {
  /** `--service-accounts FILE|DIR`: ServiceAccount manifests (YAML or JSON, multi-document, `List`s), watched. */
  serviceAccounts?: string | undefined;
  /** `--config-map FILE`: any shape `parseConfigMapFile` reads (a ConfigMap manifest or the bare config JSON), watched. */
  configMap?: string | undefined;
}

/**
 * The offline store. Lookups never wait: a miss is a miss. Ready once each named file was read once (a broken file
 * at start leaves its part empty, as every later failed reload keeps the last good part).
 * @example
 * const store = createFileIdentityStore({ serviceAccounts: './manifests', annotationPrefix: 'eks.amazonaws.com' });
 * await store.ready();
 */
export function createFileIdentityStore(options: FileIdentityStoreOptions = {}): ManagedIdentityStore {
  const logger = options.logger ?? pino({ level: 'silent' });
  const events = options.events ?? {};
  const annotationPrefix = options.annotationPrefix ?? DEFAULT_ANNOTATION_PREFIX;
  const pollOpt = options.filePollIntervalMs !== undefined ? { pollIntervalMs: options.filePollIntervalMs } : {};
  let saLoaded = !options.serviceAccounts;
  let cmLoaded = !options.configMap;
  const memory = new MemoryIdentityStore({
    synced: saLoaded && cmLoaded,
    annotationPrefix,
    ...(options.dumpSettings ? { dumpSettings: options.dumpSettings } : {}),
    events: { lookup: (source) => events.lookup?.(source) },
  });
  const checkReady = (): void => {
    if (saLoaded && cmLoaded) memory.setSynced(true);
  };

  let saWatch: PathWatch | undefined;
  if (options.serviceAccounts) {
    const path = options.serviceAccounts;
    saWatch = watchPath({
      path,
      ...pollOpt,
      async onChange(signal) {
        try {
          const loaded = await loadServiceAccountFiles(path, annotationPrefix);
          if (signal.aborted) return; // closed while reading: nothing is applied or reported
          memory.replaceServiceAccounts(loaded);
          events.changed?.({ type: 'reset' });
          logger.info({ path, serviceAccounts: memory.size() }, 'loaded ServiceAccount manifests');
          events.configReloaded?.('serviceaccounts', true);
          if (!saLoaded) {
            saLoaded = true;
            events.synced?.();
            checkReady();
          }
        } catch (err) {
          if (signal.aborted) return;
          logger.error({ path, err: (err as Error).message }, 'ServiceAccount manifests rejected; keeping the last good set');
          events.configReloaded?.('serviceaccounts', false);
          if (!saLoaded) {
            // a broken file at start still leaves the server usable (empty set), as every later reload would
            saLoaded = true;
            checkReady();
          }
        }
      },
    });
  }

  let cmWatch: ConfigFileWatch<ConfigMapEntries> | undefined;
  if (options.configMap) {
    const path = options.configMap;
    cmWatch = watchConfigFile({
      path,
      ...pollOpt,
      parse(content) {
        // a file that does not parse (or whose data.config is not JSON) is rejected whole: the last good entries stay
        const { entries, warnings } = parseConfigMapFile(content, path);
        for (const message of warnings) logger.warn({ source: path }, message);
        return entries;
      },
      onReload(result) {
        if (result.ok) memory.setConfigMap(result.value);
        else logger.error({ path, err: result.error.message }, 'ConfigMap file rejected; keeping the last good entries');
        events.configReloaded?.('configmap', result.ok);
        if (!cmLoaded) {
          cmLoaded = true;
          checkReady();
        }
      },
    });
  }

  const ccWatch = watchContainerCredentials(options, logger, events, (identities) => memory.setContainerCredentials(identities));

  return {
    lookupServiceAccount: (namespace, name) => memory.lookupServiceAccount(namespace, name),
    configMapEntries: () => memory.configMapEntries(),
    containerCredentials: () => memory.containerCredentials(),
    isSynced: () => memory.isSynced(),
    size: () => memory.size(),
    serviceAccounts: () => memory.serviceAccounts(),
    dump: () => memory.dump(),
    clear: () => memory.clear(),
    ready: () => memory.ready(),
    async close() {
      saLoaded = cmLoaded = true;
      checkReady();
      await Promise.all([saWatch?.close(), cmWatch?.close(), ccWatch?.close()]);
    },
  };
}
