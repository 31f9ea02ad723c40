import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIELD_POLICY } from '../../src/pii/fieldPolicy';

/** The table "The policy of every field" of docs/schema.md §5: policy → fields. */
function documentedPolicies(): Map<string, string[]> {
  const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'schema.md'), 'utf8');
  const section = doc.slice(doc.indexOf('### The policy of every field'));
  const table = section.slice(0, section.indexOf('\n\n', section.indexOf('| policy |')));
  const rows = new Map<string, string[]>();
  for (const line of table.split('\n')) {
    const m = /^\| `([a-z]+)` \| [^|]+ \| (.+) \|$/.exec(line);
    if (m === null) continue;
    rows.set(
      m[1] as string,
      [...(m[2] as string).matchAll(/`([a-z_]+)`/g)].map((x) => x[1] as string),
    );
  }
  return rows;
}

describe('the field policy in docs/schema.md §5', () => {
  it('lists every field under the policy FIELD_POLICY gives it, and nothing else', () => {
    const expected = new Map<string, string[]>();
    for (const [field, policy] of Object.entries(FIELD_POLICY)) {
      expected.set(policy, [...(expected.get(policy) ?? []), field]);
    }
    const documented = documentedPolicies();
    expect([...documented.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [policy, fields] of expected) {
      expect({ policy, fields: [...(documented.get(policy) ?? [])].sort() }).toEqual({
        policy,
        fields: [...fields].sort(),
      });
    }
  });

  it('never scans the ids AWS mints, and scans what a user chooses', () => {
    for (const field of [
      'message_id',
      'source_event_id',
      'campaign_id',
      'journey_id',
      'app_id',
      'configuration_set',
    ]) {
      expect({ field, policy: FIELD_POLICY[field as keyof typeof FIELD_POLICY] }).toEqual({
        field,
        policy: 'minted',
      });
    }
    for (const field of ['endpoint_id', 'user_id', 'event_type']) {
      expect({ field, policy: FIELD_POLICY[field as keyof typeof FIELD_POLICY] }).toEqual({
        field,
        policy: 'identifier',
      });
    }
    expect(FIELD_POLICY.attributes).toBe('attributes');
  });
});
