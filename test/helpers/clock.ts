import type { CompiledRule } from '../../src/rules/compileRules';
import type { Runtime } from '../../src/runtime';

/**
 * A Lambda clock the test moves: `remainingMs` is what `context.getRemainingTimeInMillis()` would answer,
 * and records processed with {@link withRecordCost} move it forward.
 */
export class FakeLambdaClock {
  nowMs = 0;

  constructor(private readonly timeoutMs: number) {}

  readonly remainingMs = (): number => this.timeoutMs - this.nowMs;
}

/**
 * The runtime with one more routing rule, which matches nothing but costs `costMs` of the clock for every
 * record that reaches routing (every normalized record): a batch whose records are slow, whatever makes them so.
 */
export function withRecordCost(runtime: Runtime, clock: FakeLambdaClock, costMs: number): Runtime {
  const slow: CompiledRule = {
    name: 'costs-time',
    action: 'tag',
    tags: [],
    matches: () => {
      clock.nowMs += costMs;
      return false;
    },
  };
  return { ...runtime, settings: { ...runtime.settings, rules: [...runtime.settings.rules, slow] } };
}
