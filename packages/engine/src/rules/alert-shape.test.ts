import { describe, expect, it } from 'vitest';
import type { SyscallEvent } from '../events/syscall-event.js';
import { renderOutput, renderOutputFields } from '../output/format.js';
import type { JsonValue } from '../output/render.js';
import { load } from './load.js';
import { formatAlertTime, formatLineTime } from './ruleset.js';

const RULES = `
- rule: Shell spawned
  desc: test
  condition: evt.type = execve and proc.name = bash
  output: "shell %proc.name (%20proc.cmdline) user=%user.name up=%toupper(proc.name) parent=%proc.pname at %evt.time"
  priority: WARNING
`;

function exec(ts: string): SyscallEvent {
  return {
    ts,
    type: 'execve',
    dir: '<',
    res: 0,
    args: [['res', '0']],
    proc: { pid: 7, name: 'bash', exe: 'bash', args: ['-i'], uid: 0, user: 'root' },
  };
}

// Across seconds, back in time, fractions with leading zeros, a whole second, the last nanosecond.
const TIMES = [
  '1760000000000000042',
  '1760000000123456789',
  '1760000000999999999',
  '1760000001000000000',
  '1759999999000000007',
  '1760000001000000000',
  '86400000000001',
];

describe('alerts: time texts and output fields', () => {
  for (const iso of [false, true]) {
    it(`renders the alert time, the line time and the fields as one-off rendering does (iso ${iso})`, () => {
      const r = load([{ name: 'r.yaml', content: RULES }]);
      if (!r.ok) throw new Error('rules did not load');
      const rs = r.ruleset.withOptions({ timeFormatIso8601: iso });
      const rule = rs.rules.find((x) => x.name === 'Shell spawned')!;
      for (const ts of TIMES) {
        const ev = exec(ts);
        const [alert] = rs.evaluate(ev, 'syscall');
        const ns = BigInt(ts);
        const message = renderOutput(rule.outputParts, ev);
        const fields: Record<string, JsonValue> = {};
        renderOutputFields(rule.outputParts, ev, fields);
        fields[iso ? 'evt.time.iso8601' : 'evt.time'] = ns;
        expect(alert?.time).toBe(formatAlertTime(ns));
        expect(alert?.output).toBe(`${formatLineTime(ns, iso)}: Warning ${message}`);
        expect(alert?.message).toBe(message);
        expect(alert?.output_fields).toEqual(fields);
        expect(Object.keys(alert!.output_fields)).toEqual(Object.keys(fields));
      }
      expect(rs.evaluate(exec('1760000000000000042'), 'syscall')[0]?.time).toBe(
        '2025-10-09T08:53:20.000000042Z',
      );
    });
  }
});
