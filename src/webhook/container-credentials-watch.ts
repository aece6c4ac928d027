/**
 * The Pod Identity config file (`--watch-container-credentials-config`) as both file-backed stores watch it:
 * reloaded on change, the last good identities kept when new content does not parse.
 * @module
 */
import type { Logger } from 'pino';
import { watchConfigFile, type ConfigFileWatch } from '../kube/file-watch.js';
import { parseContainerCredentialsConfig, type ContainerCredentialsIdentities } from './identity.js';
import type { IdentityStoreCommonOptions, IdentityStoreEvents } from './identity-store.js';

/**
 * Watches the Pod Identity config file when `options.containerCredentialsConfig` is set (undefined otherwise);
 * `onLoaded` receives each good parse.
 * @example
 * const watch = watchContainerCredentials(options, logger, events);
 * const identities = watch?.current();
 */
export function watchContainerCredentials(
  options: IdentityStoreCommonOptions,
  logger: Logger,
  events: IdentityStoreEvents,
  onLoaded?: (identities: ContainerCredentialsIdentities) => void,
): ConfigFileWatch<ContainerCredentialsIdentities> | undefined {
  const path = options.containerCredentialsConfig;
  if (!path) return undefined;
  return watchConfigFile({
    path,
    parse: parseContainerCredentialsConfig,
    ...(options.filePollIntervalMs !== undefined ? { pollIntervalMs: options.filePollIntervalMs } : {}),
    onReload(result) {
      if (result.ok) {
        logger.info({ path, identities: result.value.identities.size }, 'loaded Pod Identity config');
        onLoaded?.(result.value);
      } else {
        logger.error({ path, err: result.error.message }, 'Pod Identity config rejected; keeping the last good one and retrying');
      }
      events.configReloaded?.('container-credentials', result.ok);
    },
  });
}
