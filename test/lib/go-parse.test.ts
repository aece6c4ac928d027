import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GoParseError } from '../../src/lib/errors.js';
import {
  goFilepathJoin,
  parseGoBool,
  parseGoCsvRecord,
  parseGoDurationMs,
  parseGoDurationNs,
  parseGoInt,
  parseGoIntBase0,
  tryParseGoBool,
  tryParseGoInt,
} from '../../src/lib/go-parse.js';

test('ParseInt(s, 10, 64): accepted forms', () => {
  const cases: Array<[string, number]> = [
    ['0', 0], ['600', 600], ['+3600', 3600], ['-5', -5], ['007', 7], ['-0', 0],
    ['9223372036854775807', 9223372036854775807], ['-9223372036854775808', -9223372036854775808],
  ];
  for (const [input, want] of cases) assert.equal(tryParseGoInt(input), want, input);
});

test('ParseInt(s, 10, 64): rejected forms', () => {
  for (const input of ['', '+', '-', ' 1', '1 ', '1_000', '0x10', '1.5', '1e3', '++1', '+-1', '9223372036854775808', '-9223372036854775809', '١٢', 'abc']) {
    assert.equal(tryParseGoInt(input), undefined, JSON.stringify(input));
    assert.throws(() => parseGoInt(input), (err: unknown) => err instanceof GoParseError && err.code === 'ERR_GO_PARSE', JSON.stringify(input));
  }
  assert.throws(() => parseGoInt('9223372036854775808'), /value out of range/);
  assert.throws(() => parseGoInt('1h'), /strconv\.ParseInt: parsing "1h": invalid syntax/);
});

test('ParseInt(s, 0, 64) as pflag parses int flags', () => {
  const cases: Array<[string, number]> = [['3600', 3600], ['0x10', 16], ['0X1f', 31], ['0o17', 15], ['017', 15], ['0b101', 5], ['1_000', 1000], ['-0x10', -16], ['0', 0]];
  for (const [input, want] of cases) assert.equal(parseGoIntBase0(input), want, input);
  for (const input of ['', '08', '0x', '1__0', '_1', '1_', '0xg', ' 1', '1.0']) assert.throws(() => parseGoIntBase0(input), GoParseError, input);
});

test('ParseBool: exactly the twelve spellings', () => {
  for (const t of ['1', 't', 'T', 'TRUE', 'true', 'True']) assert.equal(tryParseGoBool(t), true, t);
  for (const f of ['0', 'f', 'F', 'FALSE', 'false', 'False']) assert.equal(tryParseGoBool(f), false, f);
  for (const bad of ['', 'yes', 'no', 'tRUE', 'TRue', ' true', 'true ', '2', 'on']) {
    assert.equal(tryParseGoBool(bad), undefined, bad);
    assert.throws(() => parseGoBool(bad), /strconv\.ParseBool/);
  }
});

test('ParseDuration', () => {
  const cases: Array<[string, number]> = [
    ['0', 0], ['+0', 0], ['-0', 0], ['2s', 2000], ['500ms', 500], ['1m30s', 90_000], ['1h', 3_600_000], ['1.5s', 1500],
    ['1h30m', 5_400_000], ['100us', 0.1], ['100µs', 0.1], ['100μs', 0.1], ['1000ns', 0.001], ['.5s', 500], ['5.s', 5000], ['-1.5h', -5_400_000],
  ];
  for (const [input, want] of cases) assert.equal(parseGoDurationMs(input), want, input);
  assert.equal(parseGoDurationNs('1h2m3s4ms5us6ns'), 3_723_004_005_006);
  // Go's arithmetic: integer nanoseconds, each component's fraction scaled and truncated on its own
  assert.equal(parseGoDurationNs('0.1251ms'), 125_100);
  assert.equal(parseGoDurationNs('1.5ns1.5ns'), 2);
  assert.equal(parseGoDurationNs('-9223372036854775808ns'), -9223372036854775808);
  assert.throws(() => parseGoDurationNs('9223372036854775808ns'), /invalid duration/);
  for (const bad of ['', '1', '10', 's', '.s', '1x', '1 s', '1s ', '-', '1.2.3s', '1hh', '3000000h']) assert.throws(() => parseGoDurationMs(bad), GoParseError, JSON.stringify(bad));
  assert.throws(() => parseGoDurationMs('10'), /missing unit/);
  assert.throws(() => parseGoDurationMs('1d'), /unknown unit "d"/);
});

test('filepath.Join (Linux) cleans like Go', () => {
  const cases: Array<[string[], string]> = [
    [['/var/run/secrets/eks.amazonaws.com/serviceaccount', 'token'], '/var/run/secrets/eks.amazonaws.com/serviceaccount/token'],
    [['/a/', 'token'], '/a/token'], [['/a//b/./c/', 'd'], '/a/b/c/d'], [['/a/b', '../t'], '/a/t'], [['/', '..', 'x'], '/x'],
    [['', 'token'], 'token'], [['', ''], ''], [['a', ''], 'a'], [['/con-creds-mount-path', 'con-creds-token-path'], '/con-creds-mount-path/con-creds-token-path'],
    [['../a', '../../b'], '../../b'], [['/a', 'b/'], '/a/b'], [['.', ''], '.'], [['/', ''], '/'], [['a', 'b'], 'a/b'], [['/a', '.hidden'], '/a/.hidden'], [['/a', '..b'], '/a/..b'],
  ];
  for (const [input, want] of cases) assert.equal(goFilepathJoin(...input), want, input.join(' + '));
});

test('encoding/csv: the first record, RFC 4180 rules', () => {
  const ok: Array<[string, string[]]> = [
    ['sidecar', ['sidecar']], ['a,b', ['a', 'b']], ['a, b', ['a', ' b']], ['"a,b",c', ['a,b', 'c']], ['"say ""hi""",x', ['say "hi"', 'x']],
    ['a,', ['a', '']], [',', ['', '']], ['\n\nfirst\nsecond', ['first']], ['\r\nx,y\r\n', ['x', 'y']], ['"multi\nline",z', ['multi\nline', 'z']],
    ['""', ['']], ['  ', ['  ']], ['a\r', ['a']], ['x\ry', ['x\ry']],
  ];
  for (const [input, want] of ok) assert.deepEqual(parseGoCsvRecord(input), { ok: true, fields: want }, JSON.stringify(input));
  for (const bad of ['', '\n\n', 'a"b', '"abc', '"a"b', '"a" ,b']) assert.equal(parseGoCsvRecord(bad).ok, false, JSON.stringify(bad));
});
