/** White-box tests of the matchers: glob, ARN segments, values, templates. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePattern, globMatch, matchPattern, P_ANY, P_EXACT, P_GLOB, P_PREFIX, P_TEMPLATE } from '../../../src/policy/pattern.js';
import { arnMatchText } from '../../../src/policy/evaluate.js';
import { ipInNetwork, parseDate, parseIpNetwork, parseNumber } from '../../../src/policy/values.js';
import { parseOperator } from '../../../src/policy/operators.js';

const like = (p: string) => compilePattern(p, { wildcards: true, variables: false, lower: false });

test('pattern kinds and glob matching', () => {
  assert.equal(like('*').kind, P_ANY);
  assert.equal(like('abc').kind, P_EXACT);
  assert.equal(like('ab*').kind, P_PREFIX);
  assert.equal(like('a*c').kind, P_GLOB);
  assert.equal(like('a?').kind, P_GLOB);
  assert.equal(compilePattern('a*', { wildcards: false, variables: false, lower: false }).kind, P_EXACT);
  assert.equal(compilePattern('a${x}', { wildcards: true, variables: true, lower: false }).kind, P_TEMPLATE);
  assert.equal(compilePattern('a${*}', { wildcards: true, variables: true, lower: false }).kind, P_EXACT, 'escapes only: no template');
  assert.equal(compilePattern('a${x}', { wildcards: true, variables: false, lower: false }).kind, P_EXACT);
  const cases: Array<[string, string, boolean]> = [
    ['*', '', true], ['**', 'x', true], ['a*', 'a', true], ['*a', 'ba', true], ['*a', 'ab', false],
    ['a*b*c', 'abc', true], ['a*b*c', 'acb', false], ['?', '', false], ['??', 'ab', true], ['*?*', 'x', true],
    ['a*a*a', 'aaaa', true], ['a*a*a', 'aa', false], ['*ab', 'aab', true], ['x*y*z', 'xyyyzz', true],
  ];
  for (const [p, v, want] of cases) assert.equal(matchPattern(like(p), v), want, `${p} ~ ${v}`);
  const cp = like('b*d');
  assert.equal(globMatch(cp.text, 0, cp.text.length, 'abcde', 1, 4), true, 'range match');
});

test('ARN segment matching', () => {
  const m = (p: string, v: string) => arnMatchText(p.replace(/\*/g, '\uE000').replace(/\?/g, '\uE001'), v);
  assert.equal(m('arn:aws:s3:::b/*', 'arn:aws:s3:::b/x:y'), true);
  assert.equal(m('arn:*:s3:::b', 'arn:aws:s3:::b'), true);
  assert.equal(m('arn:aws:iam::*:role/*', 'arn:aws:iam::1:role/a:b'), true);
  assert.equal(m('arn:aws:iam::*:role/*', 'arn:aws:iam::1'), false);
  assert.equal(m('arn:aws:sns:*', 'arn:aws:sns:r:1:t'), true);
  assert.equal(m('*', 'anything:at:all'), true);
});

test('values: numbers, dates, IP networks', () => {
  assert.equal(parseNumber(' 10 '), 10);
  assert.equal(parseNumber('-1.5'), -1.5);
  assert.ok(Number.isNaN(parseNumber('-1.5e2')), 'AWS reads integers and decimals, no exponent');
  assert.ok(Number.isNaN(parseNumber('1e999')), 'an exponent is no way to write Infinity');
  assert.ok(Number.isNaN(parseNumber('Infinity')));
  assert.ok(Number.isNaN(parseNumber('9'.repeat(400))), 'digits past the double range are not a finite number');
  assert.ok(Number.isNaN(parseNumber('0x10')));
  assert.ok(Number.isNaN(parseNumber('')));
  assert.equal(parseDate('1970-01-01T00:00:10Z'), 10000);
  assert.equal(parseDate('10'), 10000);
  assert.equal(parseDate('2020-01-01T00:00:00'), Date.UTC(2020, 0, 1), 'no zone: UTC');
  assert.equal(parseDate('2020'), 2020000, 'bare digits are epoch seconds');
  assert.equal(parseDate('2020-02'), Date.UTC(2020, 1, 1));
  assert.equal(parseDate('2020-01-01T01:00:00+01:00'), Date.UTC(2020, 0, 1));
  assert.ok(Number.isNaN(parseDate('tomorrow')));
  assert.equal(parseDate('2020-01-01T12'), Date.UTC(2020, 0, 1, 12));
  assert.equal(parseDate('2020-01-01T12:30:00+0100'), Date.UTC(2020, 0, 1, 11, 30));
  assert.equal(parseDate('2020-01-01T12:30:00+01'), Date.UTC(2020, 0, 1, 11, 30));
  assert.equal(parseDate('2020-01-01t00:00:00.123z'), Date.UTC(2020, 0, 1) + 123);
  const net = (s: string) => parseIpNetwork(s)!;
  assert.equal(parseIpNetwork('256.0.0.1'), null);
  assert.equal(parseIpNetwork('10.0.0.0/33'), null);
  assert.equal(parseIpNetwork('1::2::3'), null);
  assert.equal(parseIpNetwork('2001:db8::/129'), null);
  assert.equal(net('10.0.0.1').prefix, 32);
  assert.equal(net('::1').prefix, 128);
  assert.ok(ipInNetwork(net('10.1.2.3'), net('10.0.0.0/8')));
  assert.ok(ipInNetwork(net('10.1.2.3'), net('0.0.0.0/0')));
  assert.ok(!ipInNetwork(net('11.1.2.3'), net('10.0.0.0/8')));
  assert.ok(ipInNetwork(net('192.168.1.130'), net('192.168.1.128/25')));
  assert.ok(!ipInNetwork(net('192.168.1.127'), net('192.168.1.128/25')));
  assert.ok(ipInNetwork(net('2001:db8:0:0:1::1'), net('2001:db8::/48')));
  assert.ok(ipInNetwork(net('::ffff:10.0.0.1'), net('::ffff:0:0/96')));
  assert.ok(!ipInNetwork(net('2001:db9::1'), net('2001:db8::/32')));
  assert.ok(ipInNetwork(net('2001:db8:ffff::1'), net('2001:db8::/31')));
});

test('operator names', () => {
  assert.deepEqual(
    (({ baseName, negated, ifExists, set }) => ({ baseName, negated, ifExists, set }))(parseOperator('ForAllValues:StringNotLikeIfExists')!),
    { baseName: 'StringNotLike', negated: true, ifExists: true, set: 2 },
  );
  assert.equal(parseOperator('stringequals'), null, 'operator names are case-sensitive');
  assert.equal(parseOperator('NullIfExists'), null);
  assert.equal(parseOperator('ForAnyValue:Null'), null);
  assert.equal(parseOperator('ForSomeValues:StringEquals'), null);
  assert.equal(parseOperator('toString'), null);
});
