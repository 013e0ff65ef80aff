import { describe, expect, it } from 'vitest';
import { numberOwnedEvent, withEventNumber } from './event-number.js';
import { load } from './load.js';
import { parseRuleTests, runRuleTests } from './rule-tests.js';

describe('withEventNumber (evt.num)', () => {
  it('numbers each kind of event where its source reads evt.num, without touching the original', () => {
    const sys = { type: 'execve', proc: { name: 'bash' } };
    expect(withEventNumber(sys, 'syscall', 7)).toEqual({ ...sys, num: 7 });
    expect(sys).not.toHaveProperty('num');
    expect(withEventNumber({ 'proc.name': 'bash' }, 'syscall', 2)).toEqual({
      'proc.name': 'bash',
      'evt.num': 2,
    });
    expect(withEventNumber({ 'ka.verb': 'get' }, 'k8s_audit', 3)).toEqual({ 'ka.verb': 'get', 'evt.num': 3 });
    const ct = { eventName: 'CreateUser', eventVersion: '1.08' };
    expect(withEventNumber(ct, 'aws_cloudtrail', 4)).toEqual({ num: 4, payload: ct });
    expect(withEventNumber({ ts: '1', payload: ct }, 'aws_cloudtrail', 5)).toEqual({
      ts: '1',
      payload: ct,
      num: 5,
    });
  });

  it('keeps a recorded number, and leaves what is not an object alone', () => {
    expect(withEventNumber({ type: 'open', num: 42 }, 'syscall', 1)).toEqual({ type: 'open', num: 42 });
    expect(withEventNumber({ 'evt.num': 9 }, 'syscall', 1)).toEqual({ 'evt.num': 9 });
    expect(withEventNumber(7, 'syscall', 1)).toBe(7);
    expect(withEventNumber([1], 'okta', 1)).toEqual([1]);
  });

  it('numbers an owned event in place, with the same result as a copy', () => {
    const cases: [unknown, string][] = [
      [{ type: 'execve', proc: { name: 'bash' } }, 'syscall'],
      [{ 'proc.name': 'bash' }, 'syscall'],
      [{ 'ka.verb': 'get' }, 'k8s_audit'],
      [{ eventName: 'CreateUser', eventVersion: '1.08' }, 'aws_cloudtrail'],
      [{ ts: '1', payload: { eventName: 'CreateUser' } }, 'aws_cloudtrail'],
      [{ type: 'open', num: 42 }, 'syscall'],
      [{ 'evt.num': 9 }, 'syscall'],
      [7, 'syscall'],
      [[1], 'okta'],
    ];
    for (const [event, source] of cases) {
      const copy = withEventNumber(structuredClone(event), source, 11);
      expect(numberOwnedEvent(event, source, 11)).toEqual(copy);
    }
    const sys = { type: 'execve' };
    expect(numberOwnedEvent(sys, 'syscall', 3)).toBe(sys);
    expect(sys).toEqual({ type: 'execve', num: 3 });
  });

  it('rule tests number their events, so an `evt.num > 0` rule can be tested', () => {
    const { ruleset } = load([
      {
        name: 'r.yaml',
        content:
          '- rule: Any CloudTrail\n  desc: d\n  condition: evt.num > 0\n  output: n=%evt.num\n  priority: INFO\n  source: aws_cloudtrail\n',
      },
    ]);
    const { cases } = parseRuleTests({
      name: 'tests/t.yaml',
      content:
        '- test: any record\n  source: aws_cloudtrail\n  event: {eventVersion: "1.08", eventName: CreateUser}\n  expect: [{rule: Any CloudTrail, output: n=1}]\n',
    });
    expect(runRuleTests(ruleset, cases).map((r) => r.failures)).toEqual([[]]);
  });
});
