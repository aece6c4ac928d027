/**
 * The query-protocol parameter parser decodes exactly as the WHATWG form parser (URLSearchParams) does, including
 * the inputs its fast path hands over: malformed %-sequences, invalid UTF-8, surrogates, a leading `?`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseQueryParams } from '../../src/aws/protocol/query.js';

function reference(text: string): Array<[string, string]> {
  const out = new Map<string, string>();
  for (const [k, v] of new URLSearchParams(text)) out.set(k, v);
  return [...out];
}

test('the same parameters as URLSearchParams on hand-picked inputs', () => {
  const cases = [
    '',
    'Action=GetRole&RoleName=a+b',
    'RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Fbench&WebIdentityToken=eyJh.eyJz.c2ln',
    'a=1&a=2',
    '&&a=1&&b&=x&c==d&',
    'plus=%2B+%2b&sp=a%20b',
    'bad=%&bad2=%zz&bad3=%4',
    'utf=%C3%A9%E2%82%AC%F0%9F%98%80&raw=é€',
    'invalid=%FF%FE&lone=%C3&over=%C0%AF&sur=%ED%A0%80',
    'mixed=Ã%A9',
    'bom=%EF%BB%BF',
    '?Action=x',
    'a\u{1F600}=b',
    'lone\uD800=x',
    '=novalue&noname=',
    'k=v=w=x',
  ];
  for (const text of cases) assert.deepEqual([...parseQueryParams(text)], reference(text), JSON.stringify(text));
});

test('the same parameters as URLSearchParams on random inputs', () => {
  const alphabet = ['a', 'B', '0', '=', '&', '+', '%', '%2', '%20', '%3D', '%26', '%2B', '%C3', '%A9', '%FF', '%E2%82%AC', 'é', '?', ' ', '~', '\u{1F600}'];
  let seed = 42;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  for (let i = 0; i < 5000; i++) {
    let text = '';
    const len = rand(12);
    for (let j = 0; j < len; j++) text += alphabet[rand(alphabet.length)];
    assert.deepEqual([...parseQueryParams(text)], reference(text), JSON.stringify(text));
  }
});

test('a long run of pairs without = is parsed in linear time (no rescan per pair)', () => {
  const text = `${'a&'.repeat(200_000)}b=c`;
  const params = parseQueryParams(text);
  assert.equal(params.get('a'), '');
  assert.equal(params.get('b'), 'c');
});
