/**
 * The sandbox's own JCS, leaf and Merkle code against published vectors (RFC 8785, RFC 6962's
 * reference tree, axt-verify's worked example) and against the independent verifier.
 */
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../src/transparency/jcs.js';
import { leafEntry } from '../src/transparency/leaf.js';
import { consistencyProof, inclusionProof, leafHash, rootHash } from '../src/transparency/merkle.js';
import { jcs, rootOf, verifyConsistency, verifyInclusion } from './transparency-verifier.js';

describe('canonicalJson (RFC 8785)', () => {
  it('sorts member names by UTF-16 code units (RFC 8785 §3.2.3 example)', () => {
    const input = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    const want =
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
      '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}';
    expect(canonicalJson(input)).toBe(want);
    expect(jcs(input)).toBe(want);
  });

  it('formats numbers as ECMAScript does and escapes only what JCS escapes', () => {
    const numbers = [333333333.3333333, 1e30, 4.5, 0.002, 1e-27, -0, 1e21, 1e-7, 0.000001, 9007199254740991];
    expect(canonicalJson(numbers)).toBe(
      '[333333333.3333333,1e+30,4.5,0.002,1e-27,0,1e+21,1e-7,0.000001,9007199254740991]',
    );
    const s = 'q" bs\\ nl\n tab\t bel\u0007 vt\u000b ls\u2028 <>& é 😀 sl/';
    expect(canonicalJson({ s, t: [true, false, null] })).toBe(
      '{"s":"q\\" bs\\\\ nl\\n tab\\t bel\\u0007 vt\\u000b ls\u2028 <>& é 😀 sl/","t":[true,false,null]}',
    );
    expect(canonicalJson({ s })).toBe(jcs({ s }));
  });

  it('refuses what JCS cannot represent', () => {
    expect(() => canonicalJson(Number.NaN)).toThrow(RangeError);
    expect(() => canonicalJson(Infinity)).toThrow(RangeError);
    expect(() => canonicalJson('\ud800x')).toThrow(RangeError);
    expect(() => canonicalJson({ '\udc00': 1 })).toThrow(RangeError);
  });
});

describe('leafEntry', () => {
  it("matches axt-verify's worked example: canonical JSON after byte 0x01, leaf hash over 0x00 || entry", () => {
    const entry = leafEntry({
      id: 'activity_01GPXmAhizavrUuoXNn3tzeA',
      type: 'anthropic_access',
      created_at: '2025-07-08T18:40:00Z',
      accessed_at: '2025-07-08T18:39:58Z',
      organization_id: 'org_015gtSHLz269eTwgrH8NX5yk',
      organization_uuid: '25f6429a-3293-49bf-afed-cb312911554b',
      workspace_id: 'wrkspc_01PaGUP2rbg1XDh7Z9W1CEpd',
      workspace_uuid: 'b6ce2143-1083-d4a7-247c-17530f55a076',
      accessor_department: 'Trust & Safety',
      reason_code: 'safety_review',
      actor: { type: 'anthropic_actor', email_address: 'someone@example.com' },
      resource_details: { type: 'message', id: 'msg_01HXAMPLE12345678', parent: 'claude_chat_x' },
      transparency_log_leaf_index: 17,
    });
    expect(entry[0]).toBe(0x01);
    expect(entry.subarray(1).toString('utf8')).toBe(
      '{"accessed_at":"2025-07-08T18:39:58Z","accessor_department":"Trust & Safety",' +
        '"actor":{"email_address":null,"type":"anthropic_actor"},"created_at":"2025-07-08T18:40:00Z",' +
        '"id":"activity_01GPXmAhizavrUuoXNn3tzeA","organization_id":"org_015gtSHLz269eTwgrH8NX5yk",' +
        '"organization_uuid":"25f6429a-3293-49bf-afed-cb312911554b","reason_code":"safety_review",' +
        '"resource_details":{"id":"msg_01HXAMPLE12345678","parent":null,"type":"message"},' +
        '"type":"anthropic_access","workspace_id":"wrkspc_01PaGUP2rbg1XDh7Z9W1CEpd"}',
    );
    expect(leafHash(entry).toString('base64')).toBe('6ro7vTcFq+sYDZiiGvZaFetUIoMSLig3DGDrCKK1HFU=');
  });

  it('enters absent and null keys as null', () => {
    expect(leafEntry({ type: 'cmek_preserve' }).subarray(1).toString('utf8')).toBe(
      '{"accessed_at":null,"accessor_department":null,"actor":null,"created_at":null,"id":null,' +
        '"organization_id":null,"organization_uuid":null,"reason_code":null,"resource_details":null,' +
        '"type":"cmek_preserve","workspace_id":null}',
    );
  });
});

describe('Merkle tree (RFC 6962)', () => {
  // The reference tree of RFC 6962 implementations (certificate-transparency, transparency-dev).
  const inputs = [
    '',
    '00',
    '10',
    '2021',
    '3031',
    '40414243',
    '5051525354555657',
    '606162636465666768696a6b6c6d6e6f',
  ];
  const roots = [
    'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
    'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
    'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
    '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
    'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
    '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
  ];
  const leaves = inputs.map((h) => leafHash(Buffer.from(h, 'hex')));

  it('reproduces the reference root for every size 0..8', () => {
    expect(roots.map((_, n) => rootHash(leaves, n).toString('hex'))).toEqual(roots);
    expect(roots.map((_, n) => rootOf(leaves.slice(0, n)).toString('hex'))).toEqual(roots);
  });

  it('serves proofs the independent RFC 9162 verifier accepts, for every index and size up to 33', () => {
    const many = Array.from({ length: 33 }, (_, i) => leafHash(Buffer.from([i, i >> 8])));
    for (let size = 1; size <= many.length; size++) {
      const root = rootHash(many, size);
      for (let i = 0; i < size; i++) {
        expect([size, i, verifyInclusion(i, size, many[i]!, inclusionProof(many, i, size), root)]).toEqual([
          size,
          i,
          true,
        ]);
      }
      for (let from = 1; from <= size; from++) {
        const proof = consistencyProof(many, from, size);
        expect([size, from, verifyConsistency(from, size, proof, rootHash(many, from), root)]).toEqual([
          size,
          from,
          true,
        ]);
      }
    }
  });

  it('refuses a proof outside the tree', () => {
    expect(() => inclusionProof(leaves, 3, 3)).toThrow(RangeError);
    expect(() => consistencyProof(leaves, 0, 3)).toThrow(RangeError);
    expect(() => consistencyProof(leaves, 4, 3)).toThrow(RangeError);
    expect(() => rootHash(leaves, 9)).toThrow(RangeError);
  });
});
