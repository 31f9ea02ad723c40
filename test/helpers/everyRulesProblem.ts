/**
 * A rules file with a problem of every kind the validator finds, spread over its rules: the schema (an unknown
 * key, a missing severity), vocabularies, a `*` and a `?` in keys that take no globs (two rules), a name given
 * twice, and a `disable` that names no default. Every check runs in one pass, so that all of them are reported
 * at once, each with its rule (issue #22): the cold start, `sls package` and `rules check` say the same.
 */
export const EVERY_PROBLEM_RULES = `version: 1
disable: [sms-opt-out, sms-optout]
rules:
  - name: mkt-bounces
    match: { configuration_set: "mkt-*", family: emial, bounce_typ: permanent }
    action: alert
  - name: vip
    match: { app_id: "a1b2?", channel: fax, attributes: { tier: "gold*" } }
    action: tag
    tags: [vip]
  - name: mkt-bounces
    match: { event_type: "_email.*" }
    action: drop
`;

const NO_GLOBS =
  'takes no globs (only event_type and attributes values do: * and ?); it is compared exactly, ignoring case';

/** What the validator says about {@link EVERY_PROBLEM_RULES}, in order: the file's problems, then each rule's. */
export const EVERY_PROBLEM: ReadonlyArray<string | RegExp> = [
  /^disable: 'sms-optout' is not a default rule \(email-hard-bounce, .*sms-opt-out, .*\)$/,
  `rule 'mkt-bounces' (rules[0]): match.configuration_set: 'mkt-*': configuration_set ${NO_GLOBS}`,
  /^rule 'mkt-bounces' \(rules\[0\]\): match\.family: 'emial' is not one of app, campaign, journey, email, sms, /,
  "rule 'mkt-bounces' (rules[0]): match.bounce_typ: unknown key",
  "rule 'mkt-bounces' (rules[0]): severity: an alert rule needs a severity",
  `rule 'vip' (rules[1]): match.app_id: 'a1b2?': app_id ${NO_GLOBS}`,
  /^rule 'vip' \(rules\[1\]\): match\.channel: 'fax' is not one of email, sms, /,
  "rule 'mkt-bounces' (rules[2]): name: defined twice, first at rules[0] (names are unique in a file)",
];

/** Jest matchers for {@link EVERY_PROBLEM}, to compare a list of problems with `toEqual`. */
export function everyProblemMatchers(): unknown[] {
  return EVERY_PROBLEM.map((p) => (typeof p === 'string' ? p : expect.stringMatching(p)));
}
