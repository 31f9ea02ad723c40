import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { MiddlewareObj } from '@middy/core';
import type { Config } from '../config';
import type { Logger as AppLogger } from '../logger';
import { PowertoolsTelemetry } from './PowertoolsTelemetry';
import { noTelemetry, type Telemetry } from './telemetry';

export interface Observability {
  logger: AppLogger;
  telemetry: Telemetry;
  /** middy middlewares for the handlers: Lambda context in every log line, metrics flushed per invocation. */
  middlewares: MiddlewareObj[];
}

/**
 * Structured JSON logs (Powertools Logger, with the Lambda context and cold start) and CloudWatch EMF metrics
 * (Powertools Metrics). Built synchronously at module scope, so that the handlers can wrap with the
 * middlewares; metrics are off outside Lambda unless `METRICS=on`.
 */
export function createObservability(config: Config): Observability {
  const logger = new Logger({
    serviceName: config.observability.serviceName,
    logLevel: config.logLevel.toUpperCase() as 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT',
  });
  const appLogger = adapt(logger);
  // logEvent pinned off: POWERTOOLS_LOGGER_LOG_EVENT=true would otherwise print whole batches, raw phone numbers
  // and addresses included (the option wins over the variable; records are never logged, only their ids).
  const middlewares: MiddlewareObj[] = [
    injectLambdaContext(logger, { resetKeys: true, logEvent: false }) as MiddlewareObj,
  ];
  if (!config.observability.metrics) return { logger: appLogger, telemetry: noTelemetry, middlewares };
  const metrics = new Metrics({
    namespace: config.observability.metricsNamespace,
    serviceName: config.observability.serviceName,
  });
  middlewares.push(logMetrics(metrics, { captureColdStartMetric: true }) as MiddlewareObj);
  return { logger: appLogger, telemetry: new PowertoolsTelemetry(metrics), middlewares };
}

/** Our small logging port over Powertools Logger: extra fields become top-level keys of the JSON line. */
function adapt(logger: Logger): AppLogger {
  const call = (fn: (message: string, ...extra: [Record<string, unknown>]) => void) => {
    return (message: string, fields?: Record<string, unknown>) =>
      fields === undefined ? fn(message, {}) : fn(message, fields);
  };
  return {
    debug: call(logger.debug.bind(logger)),
    info: call(logger.info.bind(logger)),
    warn: call(logger.warn.bind(logger)),
    error: call(logger.error.bind(logger)),
  };
}
