import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { standardDictionary, loadDictionary, DictionaryError, MICROSOFT_VENDOR_ID } from './dictionary.js';

const files = (m: Record<string, string>) => (p: string) => m[p];

test('the built-in dictionary knows the RFC 2865/2866/2869/3162/5176 and RFC 2548 attributes', () => {
  const d = standardDictionary();
  assert.equal(d.attribute('user-password')!.encrypt, 1);
  assert.equal(d.attribute('Framed-Pool')!.code, 88);
  assert.equal(d.attribute('Framed-IPv6-Prefix')!.type, 'ipv6prefix');
  assert.equal(d.attribute('Error-Cause')!.code, 101);
  assert.deepEqual(d.attribute('MS-MPPE-Send-Key'), { name: 'MS-MPPE-Send-Key', vendorId: MICROSOFT_VENDOR_ID, code: 16, type: 'octets', encrypt: 2 });
  assert.equal(d.attributeByCode(26, MICROSOFT_VENDOR_ID)!.name, 'MS-CHAP2-Success');
  assert.equal(d.value('NAS-Port-Type', 'Virtual'), 5);
  assert.equal(d.valueName('Acct-Terminate-Cause', 5), 'Session-Timeout');
});

test('a FreeRADIUS dictionary with VENDOR, BEGIN-VENDOR, VALUE and $INCLUDE loads', () => {
  const d = standardDictionary();
  loadDictionary(d, '/etc/d/dictionary', files({
    '/etc/d/dictionary': '# local\n$INCLUDE dictionary.acme\n$INCLUDE- dictionary.missing\nATTRIBUTE My-Local 3000 string\n',
    '/etc/d/dictionary.acme': 'VENDOR Acme 9999\nBEGIN-VENDOR Acme\nATTRIBUTE Acme-Rate 1 integer\nATTRIBUTE Acme-Secret 2 string encrypt=2\nVALUE Acme-Rate Fast 3\nEND-VENDOR Acme\nATTRIBUTE Acme-Old 3 string Acme\n',
  }));
  assert.deepEqual(d.attribute('acme-rate'), { name: 'Acme-Rate', vendorId: 9999, code: 1, type: 'integer' });
  assert.equal(d.attribute('Acme-Secret')!.encrypt, 2);
  assert.equal(d.attribute('Acme-Old')!.vendorId, 9999);
  assert.equal(d.value('Acme-Rate', 'fast'), 3);
  assert.equal(d.attribute('My-Local')!.code, 3000);
});

test('dictionary errors name file and line', () => {
  const cases: Array<[string, RegExp]> = [
    ['ATTRIBUTE X 1 bogus\n', /^\/d:1: unknown data type "bogus"/],
    ['\n\nBEGIN-VENDOR Nope\n', /^\/d:3: unknown vendor "Nope"/],
    ['VENDOR V 5\nBEGIN-VENDOR V\n', /^\/d:3: BEGIN-VENDOR V not closed/],
    ['END-VENDOR V\n', /^\/d:1: END-VENDOR without/],
    ['VALUE A B c\n', /^\/d:1: bad value number/],
    ['FROB x\n', /^\/d:1: unknown keyword "FROB"/],
    ['$INCLUDE other\n', /^\/d:1: cannot read included file \/other/],
    ['ATTRIBUTE A 1 string NoVendor\n', /^\/d:1: unknown vendor "NoVendor"/],
  ];
  for (const [text, re] of cases) {
    assert.throws(() => loadDictionary(standardDictionary(), '/d', files({ '/d': text })), (e: unknown) => e instanceof DictionaryError && re.test(e.message), text);
  }
  // An include loop ends at the depth bound instead of recursing forever.
  assert.throws(() => loadDictionary(standardDictionary(), '/d', files({ '/d': '$INCLUDE d\n' })), /nested more than/);
});

const debianDictionary = '/usr/share/freeradius/dictionary';
test('Debian FreeRADIUS\'s whole dictionary tree parses and agrees with the built-in one', { skip: fs.existsSync(debianDictionary) ? false : 'freeradius-common not installed' }, () => {
  const d = standardDictionary();
  loadDictionary(d, debianDictionary, (p) => { try { return fs.readFileSync(p, 'utf8'); } catch { return undefined; } });
  assert.ok(d.size > 5000, `only ${d.size} attributes`);
  const builtin = standardDictionary();
  for (const name of ['User-Password', 'CHAP-Challenge', 'Framed-Pool', 'MS-CHAP2-Success', 'MS-MPPE-Recv-Key', 'MS-Primary-DNS-Server', 'Error-Cause']) {
    const a = d.attribute(name)!;
    const b = builtin.attribute(name)!;
    assert.deepEqual([a.vendorId, a.code, a.type], [b.vendorId, b.code, b.type], name);
  }
});
