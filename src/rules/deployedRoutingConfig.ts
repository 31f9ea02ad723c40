import type { RoutingConfig } from './routingConfig';

/**
 * The routing configuration this build carries: none when running from source (tsx, jest, the CLI), where
 * rules and app metadata come from RULES_FILE and APP_METADATA(_FILE). The Lambda bundles that `sls package`
 * (and `sls invoke local`) builds replace this module by the deployment's `rulesFile` and `appsFile`,
 * validated when they were packaged (build/deployedRules.js).
 */
export const DEPLOYED_ROUTING_CONFIG: RoutingConfig | undefined = undefined;
