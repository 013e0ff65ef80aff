import { describe, expect, it } from 'vitest';
import { filterQueryRecord, filterToParams, parseFilterParams, queryRecordToParams } from './filter-url';
import { matchesFilter } from './match-filter';

describe('filter in the URL', () => {
  it('round-trips every part of the filter', () => {
    const qs =
      'env=production&prio=gte%3Aerror&rule=A&rule=B&source=syscall&tag=k8s&host=node-1&status=open&assignee=me' +
      '&q=etc%2Fshadow&f=k8s.ns.name%3Dprod&f=proc.cmdline%3Da%3Db&group=0b5e2c3a-8f1e-4c2b-9a51-1f2e3d4c5b6a&range=24h';
    const filter = parseFilterParams(new URLSearchParams(qs), null);
    expect(filter).toMatchObject({
      environment: 'production',
      priority: { op: 'gte', value: 'error' },
      rules: ['A', 'B'],
      fields: [
        { key: 'k8s.ns.name', value: 'prod' },
        { key: 'proc.cmdline', value: 'a=b' },
      ],
      range: '24h',
      text: 'etc/shadow',
    });
    expect(parseFilterParams(filterToParams(filter), null)).toEqual(filter);
  });

  it('drops malformed values and applies the switcher environment only when env is absent', () => {
    const f = parseFilterParams(
      new URLSearchParams('prio=gte:loud&status=closed&range=2y&from=yesterday&group=x'),
      'staging',
    );
    expect(f).toMatchObject({
      environment: 'staging',
      priority: null,
      statuses: [],
      range: null,
      from: null,
      group: null,
    });
    expect(parseFilterParams(new URLSearchParams('env=all'), 'staging').environment).toBeNull();
  });

  it('round-trips any-of tags (the ATT&CK matrix links)', () => {
    const parsed = parseFilterParams(
      new URLSearchParams('env=production&anytag=T1003&anytag=T1003.008'),
      null,
    );
    expect(parsed.anyTags).toEqual(['T1003', 'T1003.008']);
    expect(filterToParams(parsed).getAll('anytag')).toEqual(['T1003', 'T1003.008']);
  });

  it('keeps non-filter keys and stores filters in saved views losslessly', () => {
    const base = new URLSearchParams('tab=groups&alert=12&rule=old');
    const params = filterToParams(parseFilterParams(new URLSearchParams('rule=A&rule=B'), null), base);
    expect(params.get('tab')).toBe('groups');
    expect(params.getAll('rule')).toEqual(['A', 'B']);
    const restored = queryRecordToParams(filterQueryRecord(params));
    expect(restored.get('tab')).toBeNull();
    expect(restored.getAll('rule')).toEqual(['A', 'B']);
  });
});

describe('matchesFilter (live alerts)', () => {
  const alert = {
    environmentId: 'env-1',
    rule: 'Write below etc',
    priority: 'error' as const,
    source: 'syscall',
    output: 'File below /etc opened',
    outputFields: { 'k8s.ns.name': 'prod', 'proc.pid': 42 },
    tags: ['filesystem', 'mitre'],
    hostname: 'node-1',
    eventTime: new Date().toISOString(),
    groupId: 'g1',
  };
  const filter = (qs: string) => parseFilterParams(new URLSearchParams(qs), null);

  it('applies the same semantics as the server', () => {
    expect(matchesFilter(alert, filter(''), null)).toBe(true);
    expect(matchesFilter(alert, filter(''), 'env-2')).toBe(false);
    expect(matchesFilter(alert, filter('prio=gte:error'), null)).toBe(true);
    expect(matchesFilter(alert, filter('prio=gte:critical'), null)).toBe(false);
    expect(matchesFilter(alert, filter('prio=eq:warning'), null)).toBe(false);
    expect(matchesFilter(alert, filter('tag=mitre&tag=filesystem'), null)).toBe(true);
    expect(matchesFilter(alert, filter('tag=mitre&tag=k8s'), null)).toBe(false);
    expect(matchesFilter(alert, filter('anytag=mitre&anytag=k8s'), null)).toBe(true);
    expect(matchesFilter(alert, filter('anytag=T1003&anytag=k8s'), null)).toBe(false);
    expect(matchesFilter(alert, filter('q=BELOW%20/ETC'), null)).toBe(true);
    expect(matchesFilter(alert, filter('f=proc.pid%3D42&f=k8s.ns.name%3Dprod'), null)).toBe(true);
    expect(matchesFilter(alert, filter('f=k8s.ns.name%3Dstaging'), null)).toBe(false);
    expect(matchesFilter(alert, filter('status=resolved'), null)).toBe(false);
    expect(matchesFilter(alert, filter('assignee=me'), null)).toBe(false);
    expect(matchesFilter(alert, filter('to=2020-01-01T00:00:00Z'), null)).toBe(false);
    expect(matchesFilter(alert, filter('host=node-2'), null)).toBe(false);
  });
});
