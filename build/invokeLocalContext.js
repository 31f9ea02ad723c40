/*
 * `sls invoke local` gives a Node.js handler the context's memoryLimitInMB of the function, as Lambda does.
 *
 * osls (like Serverless Framework v3) builds the context of a local Node.js invocation with the literal
 * `memoryLimitInMB: '1024'` (lib/plugins/aws/invoke-local/index.js, invokeLocalNodeJs), whatever the function's
 * memorySize, although it sets AWS_LAMBDA_FUNCTION_MEMORY_SIZE from it. Powertools logs the context's value as
 * `function_memory_size`, so local logs said 1024 where serverless.yml says 256. Passing `--context` does not
 * help: it replaces the whole context (no getRemainingTimeInMillis, which the handlers use for their deadline).
 *
 * This local plugin runs for `invoke local` only: just before osls loads the handler, it wraps the handler's
 * export so that the context osls passes carries memoryLimitInMB = AWS_LAMBDA_FUNCTION_MEMORY_SIZE (a string,
 * as in Lambda). Nothing else of the context, the event or the result changes; a `--context` given on the command
 * line is left alone.
 */
const path = require('node:path');

const WRAPPED = Symbol('invokeLocalContext.wrapped');

class InvokeLocalContext {
  constructor(serverless, _options, utils = {}) {
    this.serverless = serverless;
    this.log = utils.log;
    this.hooks = {
      'before:invoke:local:invoke': () => this.wrapInvokeLocal(),
    };
  }

  wrapInvokeLocal() {
    const invokeLocal = this.serverless.pluginManager.plugins.find(
      (plugin) => typeof plugin.invokeLocalNodeJs === 'function',
    );
    if (invokeLocal === undefined) {
      this.log?.warning?.(
        'invokeLocalContext: osls invoke local not found; the context keeps its memory size',
      );
      return;
    }
    const original = invokeLocal.invokeLocalNodeJs;
    if (original[WRAPPED]) return;
    const wrapped = function invokeLocalNodeJs(handlerPath, handlerName, event, customContext) {
      if (customContext === undefined || customContext === null) {
        // The same path osls requires the handler from.
        const modulePath = path.join(
          this.serverless.serviceDir,
          this.options.extraServicePath || '',
          handlerPath,
        );
        const memory =
          process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ||
          String(
            Number(this.options.functionObj.memorySize) ||
              Number(this.serverless.service.provider.memorySize) ||
              1024,
          );
        setContextMemory(modulePath, handlerName, String(memory));
      }
      return original.call(this, handlerPath, handlerName, event, customContext);
    };
    wrapped[WRAPPED] = true;
    invokeLocal.invokeLocalNodeJs = wrapped;
  }
}

/** Replaces, in the module cache, the handler export with one that sets the context's memoryLimitInMB. */
function setContextMemory(modulePath, handlerName, memory) {
  let file;
  let exported;
  try {
    file = require.resolve(modulePath);
    exported = require(file);
  } catch {
    return; // osls loads it next and reports the error (or loads an ES module, left as it is)
  }
  const handler = exported?.[handlerName];
  const cached = require.cache[file];
  if (typeof handler !== 'function' || handler[WRAPPED] || cached === undefined) return;
  const withMemory = function (event, context, callback) {
    if (context !== null && typeof context === 'object') context.memoryLimitInMB = memory;
    return handler.call(this, event, context, callback);
  };
  withMemory[WRAPPED] = true;
  cached.exports = { ...exported, [handlerName]: withMemory };
}

module.exports = InvokeLocalContext;
