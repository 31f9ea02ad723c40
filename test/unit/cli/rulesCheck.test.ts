import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../../../src/cli/main';
import { rulesCheckCommand } from '../../../src/cli/rulesCheck';
import { DEFAULT_RATE_RULES, DEFAULT_RULES } from '../../../src/rules/defaultRules';
import { EVERY_PROBLEM_RULES, everyProblemMatchers } from '../../helpers/everyRulesProblem';
import { rawEvents } from '../../helpers/runtime';
import { captureIO, tempDir } from './cliIO';

const ROOT = join(__dirname, '..', '..', '..');

describe('rules check', () => {
  it('checks the default rules against the bundled sample events', async () => {
    const { io, stdout, stderr } = captureIO();
    expect(await rulesCheckCommand(undefined, {}, io)).toBe(0);
    const out = stdout();
    const all = DEFAULT_RULES.length + DEFAULT_RATE_RULES.length;
    expect(out).toMatch(
      new RegExp(
        `^default rules: valid, ${all} rules \\(${DEFAULT_RULES.length} alert, ${DEFAULT_RATE_RULES.length} rate\\)$`,
        'm',
      ),
    );
    expect(out).toMatch(/^rate rule +rate +threshold +min_volume +group_by +severity +events$/m);
    expect(out).toMatch(
      /^email-bounce-rate-high +bounced \/ \(delivered \+ bounced\) +5% +200 +app_id, configuration_set +high +\d+$/m,
    );
    expect(out).toMatch(/^email-complaint-rate-warn +complained \/ delivered +0\.05% +5,000 /m);
    expect(out).toMatch(/^131 sample events from 12 files in /m);
    expect(out).toMatch(/^pinpoint\/email +_email\.hardbounce +1 +email-hard-bounce \(alert high\)$/m);
    expect(out).toMatch(/^ses\/email +Delivery +3 +-$/m);
    expect(stderr()).toBe('');
  });

  it('shows every action of a rules file, and the rules that match nothing', async () => {
    const dir = tempDir('rules');
    writeFileSync(
      join(dir, 'rules.yaml'),
      [
        'version: 1',
        'include_defaults: false',
        'rules:',
        '  - { name: no-tests, match: { event_type: "_test.*" }, action: drop }',
        '  - { name: vip, match: { family: [email, sms] }, action: tag, tags: [vip, gold] }',
        '  - { name: never, match: { event_type: nothing-like-this }, action: alert, severity: low }',
        '  - name: voice-rate',
        '    kind: rate',
        '    numerator: [failed]',
        '    denominator: [delivered, failed]',
        '    match: { channel: voice, app_id: nothing-like-this }',
        '    threshold: 0.1',
        '    min_volume: 10',
        '    severity: low',
      ].join('\n'),
    );
    const { io, stdout } = captureIO({ cwd: dir });
    expect(await rulesCheckCommand('rules.yaml', {}, io)).toBe(0);
    const out = stdout();
    expect(out).toMatch(/^rules\.yaml: valid, 4 rules \(1 alert, 1 drop, 1 tag, 1 rate\)$/m);
    expect(out).toMatch(/^voice-rate +failed \/ \(delivered \+ failed\) +10% +10 +- +low +0$/m);
    expect(out).toMatch(/^pinpoint\/custom +_test\.event +1 +no-tests \(drop\)$/m);
    expect(out).toMatch(/^pinpoint\/sms +_SMS\.OPTOUT +1 +vip \(tag vip,gold\)$/m);
    expect(out).toMatch(
      /Rules that match no sample event:\n {2}never \(alert low\)\n {2}voice-rate \(rate low\)\n$/,
    );
  });

  it('matches the events of another folder with --events, and counts what is not an event', async () => {
    const dir = tempDir('events');
    mkdirSync(join(dir, 'ev'));
    writeFileSync(join(dir, 'ev', 'some.jsonl'), `${JSON.stringify(rawEvents('ses')[0])}\n{"no":"type"}\n`);
    writeFileSync(join(dir, 'ev', 'README.md'), 'not an event file');
    const { io, stdout } = captureIO({ cwd: dir });
    expect(await rulesCheckCommand(undefined, { events: 'ev' }, io)).toBe(0);
    expect(stdout()).toMatch(/^2 sample events from 1 files in ev$/m);
    expect(stdout()).toMatch(/^ses\/email +Send +1 +-$/m);
    expect(stdout()).toMatch(/^Not events \(quarantined\): missing_event_type 1$/m);
  });

  it('exits 2 with every problem of an invalid file, one per line', async () => {
    const dir = tempDir('invalid');
    writeFileSync(
      join(dir, 'bad.yaml'),
      'version: 1\nrules:\n  - name: x\n    match: { famly: email }\n    action: alert\n    severity: high\n  - name: y\n    match: { family: emial }\n    action: drop\n',
    );
    const c = captureIO({ cwd: dir });
    expect(await runCli(['rules', 'check', 'bad.yaml'], c.io)).toBe(2);
    expect(c.stdout()).toBe('');
    expect(c.stderr()).toMatch(
      /^error: bad\.yaml is invalid:\n {2}- rule 'x' \(rules\[0\]\): match\.famly: unknown key\n/,
    );
  });

  it('exits 2 when the vocabulary check fails, and when the file cannot be read', async () => {
    const dir = tempDir('vocab');
    writeFileSync(
      join(dir, 'v.yaml'),
      'version: 1\nrules:\n  - { name: y, match: { family: emial }, action: drop }\n',
    );
    const c = captureIO({ cwd: dir });
    expect(await runCli(['rules', 'check', 'v.yaml'], c.io)).toBe(2);
    expect(c.stderr()).toMatch(/match\.family: 'emial' is not one of/);
    const missing = captureIO({ cwd: dir });
    expect(await runCli(['rules', 'check', 'nope.yaml'], missing.io)).toBe(2);
    expect(missing.stderr()).toBe(
      "error: cannot read rules file 'nope.yaml': ENOENT: no such file or directory\n",
    );
  });

  it('prints the same result as one JSON object with --json', async () => {
    const dir = tempDir('json');
    mkdirSync(join(dir, 'ev'));
    writeFileSync(join(dir, 'ev', 'some.jsonl'), `${JSON.stringify(rawEvents('sms')[0])}\n{"no":"type"}\n`);
    writeFileSync(
      join(dir, 'rules.yaml'),
      [
        'version: 1',
        'include_defaults: false',
        'rules:',
        '  - { name: vip, match: { family: sms }, action: tag, tags: [vip] }',
        '  - { name: never, match: { event_type: nothing-like-this }, action: alert, severity: low }',
        '  - { name: no-tests, match: { event_type: "_test.*" }, action: drop }',
        '  - name: sms-fail',
        '    kind: rate',
        '    numerator: [failed]',
        '    denominator: [delivered, failed]',
        '    group_by: [app_id]',
        '    threshold: 0.25',
        '    min_volume: 4',
        '    severity: medium',
      ].join('\n'),
    );
    const { io, stdout, stderr } = captureIO({ cwd: dir });
    expect(await runCli(['rules', 'check', '--json', '--events', 'ev', 'rules.yaml'], io)).toBe(0);
    expect(stderr()).toBe('');
    expect(JSON.parse(stdout())).toEqual({
      file: 'rules.yaml',
      valid: true,
      rules: [
        { name: 'vip', action: 'tag', tags: ['vip'], events: 1 },
        { name: 'never', action: 'alert', severity: 'low', events: 0 },
        { name: 'no-tests', action: 'drop', events: 0 },
      ],
      rateRules: [
        {
          name: 'sms-fail',
          numerator: ['failed'],
          denominator: ['delivered', 'failed'],
          threshold: 0.25,
          min_volume: 4,
          group_by: ['app_id'],
          severity: 'medium',
          // The first SMS sample is a _SMS.SUCCESS: delivered, in the denominator.
          events: 1,
        },
      ],
      // The SMS sample is a Pinpoint campaign's: it has a campaign_id.
      analytics: { campaign_tag: 'campaign', default: true, events_with_campaign: 1 },
      samples: { folder: 'ev', files: 1, events: 2 },
      matches: [
        {
          source: 'pinpoint',
          family: 'sms',
          event_type: rawEvents('sms')[0]?.event_type,
          events: 1,
          rules: ['vip'],
        },
      ],
      poisonByReason: { missing_event_type: 1 },
      unused: ['never', 'no-tests'],
    });
  });

  it('shows the campaign tag the analytics rows read, and how many sample events have a campaign', async () => {
    const dir = tempDir('campaign-tag');
    mkdirSync(join(dir, 'ev'));
    const ses = rawEvents('ses').filter((e) => (e.mail as { tags?: object } | undefined)?.tags !== undefined);
    expect(ses.length).toBeGreaterThan(0);
    // SES mail tagged `newsletter: [may-digest]`, and the same mail without tags.
    const tagged = ses.map((e) => ({
      ...e,
      mail: { ...(e.mail as object), tags: { newsletter: ['may-digest'] } },
    }));
    writeFileSync(join(dir, 'ev', 'ses.jsonl'), `${tagged.map((e) => JSON.stringify(e)).join('\n')}\n`);
    writeFileSync(join(dir, 'rules.yaml'), 'version: 1\nrules: []\nanalytics:\n  campaign_tag: newsletter\n');
    const text = captureIO({ cwd: dir });
    expect(await rulesCheckCommand('rules.yaml', { events: 'ev' }, text.io)).toBe(0);
    expect(text.stdout()).toContain(
      `Analytics: the campaign of a record is its Pinpoint campaign_id, else its message tag 'newsletter': ${tagged.length} of ${tagged.length} sample events have one\n`,
    );
    const json = captureIO({ cwd: dir });
    expect(await rulesCheckCommand('rules.yaml', { events: 'ev', json: true }, json.io)).toBe(0);
    expect(JSON.parse(json.stdout()).analytics).toEqual({
      campaign_tag: 'newsletter',
      default: false,
      events_with_campaign: tagged.length,
    });
    const defaults = captureIO({ cwd: dir });
    expect(await rulesCheckCommand(undefined, { events: 'ev' }, defaults.io)).toBe(0);
    expect(defaults.stdout()).toContain(
      "else its message tag 'campaign' (the default; analytics.campaign_tag sets another): 0 of",
    );
  });

  it('refuses an analytics key it does not know, and a campaign tag that is not one line', async () => {
    const dir = tempDir('campaign-tag-bad');
    writeFileSync(
      join(dir, 'bad.yaml'),
      'version: 1\nrules: []\nanalytics:\n  campaign_tag: "a\\nb"\n  campaing: x\n',
    );
    const c = captureIO({ cwd: dir });
    expect(await runCli(['rules', 'check', 'bad.yaml'], c.io)).toBe(2);
    expect(c.stderr()).toContain('analytics.campaign_tag: one line: a message tag name');
    expect(c.stderr()).toContain('analytics.campaing: unknown key');
  });

  it('gives the bundled samples and default rules the same counts in JSON as in text', async () => {
    const text = captureIO();
    const json = captureIO();
    expect(await rulesCheckCommand(undefined, {}, text.io)).toBe(0);
    expect(await rulesCheckCommand(undefined, { json: true }, json.io)).toBe(0);
    const report = JSON.parse(json.stdout());
    expect(report).toMatchObject({
      file: null,
      valid: true,
      samples: { folder: null, files: 12, events: 131 },
    });
    expect(report.rules).toHaveLength(DEFAULT_RULES.length);
    expect(report.rateRules.map((r: { name: string }) => r.name)).toEqual(
      DEFAULT_RATE_RULES.map((r) => r.name),
    );
    for (const rate of report.rateRules) expect(rate.events).toBeGreaterThan(0);
    expect(report.unused).toEqual([]);
    const tableRows = text
      .stdout()
      .split('\n')
      .filter((l) => /^[a-z_]+\/[a-z]+ {2,}/.test(l) && !l.startsWith('source/family'));
    expect(report.matches).toHaveLength(tableRows.length);
    expect(report.matches).toContainEqual({
      source: 'pinpoint',
      family: 'email',
      event_type: '_email.hardbounce',
      events: 1,
      rules: ['email-hard-bounce'],
    });
  });

  it('prints every problem of an invalid file as JSON with --json, and still exits 2', async () => {
    const dir = tempDir('invalid-json');
    writeFileSync(
      join(dir, 'bad.yaml'),
      'version: 1\nrules:\n  - name: x\n    match: { famly: email }\n    action: alert\n    severity: high\n  - name: y\n    match: { family: emial }\n    action: drop\n',
    );
    writeFileSync(
      join(dir, 'v.yaml'),
      'version: 1\nrules:\n  - { name: y, match: { family: emial }, action: drop }\n',
    );
    const run = async (file: string) => {
      const c = captureIO({ cwd: dir });
      const code = await runCli(['rules', 'check', '--json', file], c.io);
      return { code, report: JSON.parse(c.stdout()), stderr: c.stderr() };
    };
    const bad = await run('bad.yaml');
    expect(bad.code).toBe(2);
    expect(bad.report).toEqual({
      file: 'bad.yaml',
      valid: false,
      problems: expect.arrayContaining(["rule 'x' (rules[0]): match.famly: unknown key"]),
    });
    expect(bad.report.problems.length).toBeGreaterThan(1);
    expect(bad.stderr).toMatch(/^error: bad\.yaml is invalid:\n/);
    const vocab = await run('v.yaml');
    expect(vocab.code).toBe(2);
    expect(vocab.report.problems).toEqual([
      expect.stringMatching(/^rule 'y' \(rules\[0\]\): match\.family: 'emial' is not one of/),
    ]);
  });

  it('reports a problem of every kind at once, each with its rule, as text and as JSON (issue #22)', async () => {
    const dir = tempDir('every-problem');
    writeFileSync(join(dir, 'rules.yaml'), EVERY_PROBLEM_RULES);
    const text = captureIO({ cwd: dir });
    expect(await runCli(['rules', 'check', 'rules.yaml'], text.io)).toBe(2);
    expect(text.stdout()).toBe('');
    const [first, ...lines] = text.stderr().trimEnd().split('\n');
    expect(first).toBe('error: rules.yaml is invalid:');
    expect(lines.map((l) => l.replace(/^ {2}- /, ''))).toEqual(everyProblemMatchers());
    expect(lines.every((l) => l.startsWith('  - '))).toBe(true);

    const json = captureIO({ cwd: dir });
    expect(await runCli(['rules', 'check', '--json', 'rules.yaml'], json.io)).toBe(2);
    expect(JSON.parse(json.stdout())).toEqual({
      file: 'rules.yaml',
      valid: false,
      problems: everyProblemMatchers(),
    });
  });

  it('accepts the example rules file', async () => {
    const { io, stdout } = captureIO({ cwd: ROOT });
    expect(await rulesCheckCommand('rules.example.yaml', {}, io)).toBe(0);
    expect(stdout()).toMatch(/^pinpoint\/custom +_test\.event +1 +drop-test-events \(drop\)$/m);
  });
});
