import type { CompiledRule } from '../../src/rules/compileRules';
import { loadRuleSet, loadRulesFileSpecs } from '../../src/rules/loadRules';
import type { RuleSpec } from '../../src/rules/ruleSchema';

/**
 * Shorthands over the public loaders, for tests that look at one part of a rules file: the validation is
 * loadRuleSet's (what `rules check` runs) and loadRulesFileSpecs' (what routing and packaging run).
 */

/** The event rules of a rules file (the defaults without one), compiled: loadRuleSet's `rules`. */
export function loadRules(text: string | undefined, origin?: string): CompiledRule[] {
  return loadRuleSet(text, origin).rules;
}

/** The merged rule specs of a rules file, event and rate rules in file order: loadRulesFileSpecs' `rules`. */
export function loadRuleSpecs(text: string | undefined, origin?: string): RuleSpec[] {
  return loadRulesFileSpecs(text, origin).rules;
}
