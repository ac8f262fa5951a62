import { constants, createHash, createPrivateKey, createHmac, KeyObject, privateEncrypt, timingSafeEqual, verify, X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { PKPass } from 'passkit-generator';
import { Problem } from '../../shared/errors';
import { readZip } from './wallet.zip';

/*
 * Apple Wallet: checking the Pass Type ID certificate a business uploads, and signing `.pkpass`
 * bundles with passkit-generator (pass.json + images + manifest.json with SHA-1s + a detached
 * PKCS#7 signature that includes the WWDR intermediate).
 */

/** Apple's extended key usage of Pass Type ID certificates. */
export const PASS_EKU = '1.2.840.113635.100.4.14';

export interface PassCertificate {
  certPem: string;
  /** Unencrypted PKCS#1 PEM (it is sealed at rest by the service). */
  keyPem: string;
  wwdrPem: string;
  passTypeId: string;
  teamId: string;
  subject: string;
  notAfter: Date;
}

function field(subject: string, name: string): string | undefined {
  for (const line of subject.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0 && line.slice(0, i).trim() === name) return line.slice(i + 1).trim();
  }
  return undefined;
}

/** A refused upload: 422 naming the field of the upload that is wrong. */
const bad = (code: string, message: string, field: string) => new Problem(422, code, message, [{ field, message }]);

/** Reads a `.p12` (PKCS#12) Keychain export into PEM certificate + key. */
export function readP12(p12Base64: string, password: string): { certificatePem: string; privateKeyPem: string } {
  let asn: forge.asn1.Asn1;
  try {
    asn = forge.asn1.fromDer(forge.util.decode64(p12Base64.replace(/\s+/g, '')));
  } catch {
    throw bad('invalid_p12', 'The .p12 file could not be read: export the certificate with its key from Keychain Access as .p12', 'p12Base64');
  }
  try {
    const p12 = forge.pkcs12.pkcs12FromAsn1(asn, password);
    const certBag = p12.getBags({ bagType: forge.pki.oids.certBag })[forge.pki.oids.certBag]?.find((b) => b.cert);
    const keyBag =
      p12.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag })[forge.pki.oids.pkcs8ShroudedKeyBag]?.find((b) => b.key) ??
      p12.getBags({ bagType: forge.pki.oids.keyBag })[forge.pki.oids.keyBag]?.find((b) => b.key);
    if (!certBag?.cert || !keyBag?.key) throw new Error('no certificate or key');
    return { certificatePem: forge.pki.certificateToPem(certBag.cert), privateKeyPem: forge.pki.privateKeyToPem(keyBag.key as forge.pki.rsa.PrivateKey) };
  } catch (e) {
    if (/password/i.test((e as Error).message)) throw bad('invalid_p12_password', 'The .p12 password is wrong', 'p12Password');
    throw bad('invalid_p12', 'The .p12 file could not be opened: it holds no certificate with its private key', 'p12Base64');
  }
}

/**
 * Checks an uploaded Pass Type ID certificate and key, and returns what the hub keeps. Refusals are
 * 422 problems that say what is wrong: not a certificate, expired or not yet valid, not a Pass Type
 * ID certificate, not issued by the WWDR, key does not match, key passphrase wrong.
 */
export function checkPassCertificate(
  input: { certPem: string; keyPem: string; passphrase?: string; wwdrPem?: string | null },
  now = new Date(),
): PassCertificate {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(input.certPem);
  } catch {
    throw bad('invalid_certificate', 'The certificate is not a PEM or DER X.509 certificate', 'certificatePem');
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: input.keyPem, format: 'pem', ...(input.passphrase ? { passphrase: input.passphrase } : {}) });
  } catch {
    if (/ENCRYPTED/.test(input.keyPem))
      throw bad('invalid_key_passphrase', 'The private key is encrypted: give the right privateKeyPassphrase', 'privateKeyPassphrase');
    throw bad('invalid_private_key', 'The private key is not a PEM private key', 'privateKeyPem');
  }
  if (key.asymmetricKeyType !== 'rsa') throw bad('invalid_private_key', 'Pass Type ID keys are RSA keys', 'privateKeyPem');
  if (Date.parse(cert.validFrom) > now.getTime())
    throw bad('certificate_not_yet_valid', `The certificate is valid only from ${new Date(cert.validFrom).toISOString()}`, 'certificatePem');
  if (Date.parse(cert.validTo) <= now.getTime()) {
    throw bad(
      'certificate_expired',
      `The certificate expired on ${new Date(cert.validTo).toISOString().slice(0, 10)}; create a new one in the Apple Developer portal`,
      'certificatePem',
    );
  }
  const passTypeId = field(cert.subject, 'UID');
  const teamId = field(cert.subject, 'OU');
  if (!passTypeId || !passTypeId.startsWith('pass.') || !teamId || !(cert.keyUsage ?? []).includes(PASS_EKU)) {
    throw bad('not_a_pass_certificate', 'This is not a Pass Type ID certificate (subject UID=pass.… and Apple’s pass usage expected)', 'certificatePem');
  }
  if (!/^[A-Za-z0-9._-]{1,128}$/.test(passTypeId)) throw bad('not_a_pass_certificate', 'The pass type id in the certificate is not valid', 'certificatePem');
  if (!cert.checkPrivateKey(key)) throw bad('key_mismatch', 'The private key does not belong to this certificate', 'privateKeyPem');
  if (!input.wwdrPem) throw bad('wwdr_required', 'The Apple WWDR intermediate certificate is needed: upload wwdrPem or set APPLE_WWDR_CERT_FILE', 'wwdrPem');
  let wwdr: X509Certificate;
  try {
    wwdr = new X509Certificate(input.wwdrPem);
  } catch {
    throw bad('invalid_wwdr', 'The WWDR certificate is not a PEM certificate', 'wwdrPem');
  }
  if (Date.parse(wwdr.validTo) <= now.getTime())
    throw bad('wwdr_expired', 'The WWDR intermediate certificate has expired; use the current one from Apple', 'wwdrPem');
  if (!cert.checkIssued(wwdr) || !cert.verify(wwdr.publicKey)) {
    throw bad(
      'not_issued_by_wwdr',
      'The certificate was not issued by the Apple WWDR intermediate: is it a Pass Type ID certificate from Apple?',
      'certificatePem',
    );
  }
  return {
    certPem: cert.toString(),
    keyPem: key.export({ type: 'pkcs1', format: 'pem' }).toString(),
    wwdrPem: wwdr.toString(),
    passTypeId,
    teamId,
    subject: cert.subject.replace(/\n/g, ', ').slice(0, 500),
    notAfter: new Date(cert.validTo),
  };
}

/** The SHA-256 fingerprint of a certificate, `AB:CD:…` (what Keychain Access shows). */
export function certificateFingerprint(certPem: string): string {
  return new X509Certificate(certPem).fingerprint256;
}

/** Checks an APNs token-auth key (.p8: EC P-256 in PKCS#8). */
export function checkApnsKey(pem: string): string {
  try {
    const k = createPrivateKey(pem);
    if (k.asymmetricKeyType !== 'ec' || k.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new Error('not P-256');
    return k.export({ type: 'pkcs8', format: 'pem' }).toString();
  } catch {
    throw bad('invalid_apns_key', 'The APNs key is not an Apple .p8 key (EC P-256, PKCS#8 PEM)', 'apnsKeyPem');
  }
}

// ---------------------------------------------------------------------------------------------
// Per-pass secrets
// ---------------------------------------------------------------------------------------------

/** Per-pass authentication tokens and card page links, derived from the hub secret (nothing stored). */
export class PassTokens {
  private readonly key: Buffer;
  constructor(hubSecret: string) {
    this.key = createHmac('sha256', 'loyalty-hub:wallet:v1').update(hubSecret).digest();
  }
  private mac(purpose: string, id: string, len: number): string {
    return createHmac('sha256', this.key).update(`${purpose}:${id}`).digest('base64url').slice(0, len);
  }
  /** The pass's `authenticationToken` (≥ 16 characters, Apple's minimum): 32 url-safe characters. */
  authToken(serial: string): string {
    return this.mac('apple-auth', serial, 32);
  }
  /** The capability in a card page link: whoever has the link sees the card and downloads its pass. */
  cardAccess(cardId: string): string {
    return this.mac('card-access', cardId, 22);
  }
  static same(a: string, b: string): boolean {
    const x = Buffer.from(a);
    const y = Buffer.from(b);
    return x.length === y.length && timingSafeEqual(x, y);
  }
}

// ---------------------------------------------------------------------------------------------
// Signing
// ---------------------------------------------------------------------------------------------

/*
 * passkit-generator signs with node-forge, whose RSA is pure JavaScript (about 30 signatures a
 * second on our machines). RSASSA-PKCS1-v1_5 is deterministic, so the same signature comes from
 * Node's native RSA: the key objects forge parses for passkit-generator get a `sign` that encodes
 * the DigestInfo and runs `crypto.privateEncrypt` (PKCS#1 type 1 padding). Same bytes, ~30× faster.
 * Anything but SHA-1/SHA-256 with PKCS#1 v1.5 falls back to forge's own implementation.
 */
const DIGEST_INFO: Record<string, Buffer> = {
  sha1: Buffer.from('3021300906052b0e03021a05000414', 'hex'),
  sha256: Buffer.from('3031300d060960864801650304020105000420', 'hex'),
};
const parsedKeys = new Map<string, forge.pki.rsa.PrivateKey>();
let nativeInstalled = false;
let nativeEnabled = true;

/** Turns the native RSA path off and on (the benchmark measures stock passkit-generator as its baseline). */
export function useNativeRsa(on: boolean): void {
  nativeEnabled = on;
}

export function installNativeRsa(): void {
  if (nativeInstalled) return;
  nativeInstalled = true;
  const pki = forge.pki as unknown as { decryptRsaPrivateKey: (pem: string, password?: string) => forge.pki.rsa.PrivateKey | null };
  const original = pki.decryptRsaPrivateKey;
  pki.decryptRsaPrivateKey = function (pem: string, password?: string) {
    // passkit-generator parses the key again for every pass: keep the parsed (and patched) key.
    const cacheKey = `${password ?? ''}\u0000${pem}`;
    const hit = parsedKeys.get(cacheKey);
    if (hit) return hit;
    const key = original.call(this, pem, password);
    if (!key) return key;
    const nativeKey = createPrivateKey({ key: pem, format: 'pem', ...(password ? { passphrase: password } : {}) });
    const forgeSign = key.sign.bind(key);
    key.sign = ((md: forge.md.MessageDigest, scheme?: string) => {
      const prefix = DIGEST_INFO[(md as unknown as { algorithm: string }).algorithm];
      if (nativeEnabled && (scheme === undefined || String(scheme).toUpperCase() === 'RSASSA-PKCS1-V1_5') && prefix) {
        const digest = Buffer.from(md.digest().getBytes(), 'binary');
        return privateEncrypt({ key: nativeKey, padding: constants.RSA_PKCS1_PADDING }, Buffer.concat([prefix, digest])).toString('binary');
      }
      return forgeSign(md, scheme as 'RSASSA-PKCS1-V1_5');
    }) as typeof key.sign;
    if (parsedKeys.size > 1000) parsedKeys.clear();
    parsedKeys.set(cacheKey, key);
    return key;
  };
}

export interface SignInput {
  passJson: Record<string, unknown>;
  /** File name in the bundle -> bytes (icon.png, logo@2x.png, strip@2x.png …). */
  files: Record<string, Buffer>;
  certPem: string;
  keyPem: string;
  wwdrPem: string;
}

/** Thrown when passkit-generator rejects what we built: the pass is not served. */
export class InvalidPassError extends Problem {
  constructor(reasons: string[]) {
    super(500, 'invalid_pass', 'The pass could not be built', undefined, { reasons });
  }
}

/**
 * A signed `.pkpass` (zip). passkit-generator validates pass.json and every field; it reports
 * rejects with `console.warn` and drops them, so warnings are collected here and any of them fails
 * the pass: an invalid pass is never served.
 */
export function signPass(input: SignInput): Buffer {
  installNativeRsa();
  const warnings: string[] = [];
  // passkit-generator reports rejected fields only through console.warn: collect them for the call.
  // eslint-disable-next-line no-console
  const warn = console.warn;
  // eslint-disable-next-line no-console
  console.warn = (...args: unknown[]) => warnings.push(args.map((a) => (a instanceof Error ? a.message : String(a))).join(' '));
  try {
    const pass = new PKPass(
      { ...input.files, 'pass.json': Buffer.from(JSON.stringify(input.passJson)) },
      { wwdr: input.wwdrPem, signerCert: input.certPem, signerKey: input.keyPem },
    );
    if (warnings.length) throw new InvalidPassError(warnings);
    const buf = pass.getAsBuffer();
    if (warnings.length) throw new InvalidPassError(warnings);
    return buf;
  } catch (e) {
    if (e instanceof InvalidPassError) throw e;
    throw new InvalidPassError([...warnings, (e as Error).message]);
  } finally {
    // eslint-disable-next-line no-console
    console.warn = warn;
  }
}

export const PKPASS_MIME = 'application/vnd.apple.pkpass';

/** What a check of a signed `.pkpass` found: the bundle's files, and every problem Wallet would refuse it for. */
export interface PassVerification {
  files: string[];
  problems: string[];
  signer: { subject: string; notAfter: Date } | null;
}

/**
 * Opens a signed `.pkpass` the way Wallet does: every file but the manifest and the signature is
 * listed in `manifest.json` with its SHA-1, and `signature` is a detached PKCS#7 (CMS) signature of
 * the manifest by `certPem`, whose issuer is the WWDR intermediate. node-forge reads the PKCS#7
 * structure (its own validator captures the signer info); node:crypto checks the digest and the RSA
 * signature over the signed attributes.
 */
export function verifyPass(body: Buffer, trust: { certPem: string; wwdrPem: string }): PassVerification {
  const problems: string[] = [];
  let files: Record<string, Buffer>;
  try {
    files = readZip(body);
  } catch (e) {
    return { files: [], problems: [`not a zip archive: ${(e as Error).message}`], signer: null };
  }
  const manifestBuf = files['manifest.json'];
  const signature = files['signature'];
  for (const name of ['pass.json', 'manifest.json', 'signature', 'icon.png']) if (!files[name]) problems.push(`${name} is missing`);
  let manifest: Record<string, string> = {};
  try {
    manifest = JSON.parse(manifestBuf?.toString('utf8') ?? '{}') as Record<string, string>;
  } catch {
    problems.push('manifest.json is not JSON');
  }
  for (const [name, data] of Object.entries(files)) {
    if (name === 'manifest.json' || name === 'signature') continue;
    if (manifest[name] !== createHash('sha1').update(data).digest('hex')) problems.push(`the manifest's SHA-1 of ${name} is wrong`);
  }
  for (const name of Object.keys(manifest)) if (!files[name]) problems.push(`the manifest lists ${name}, which is not in the pass`);
  let signer: PassVerification['signer'] = null;
  if (manifestBuf && signature) {
    try {
      signer = verifyManifestSignature(manifestBuf, signature, trust, problems);
    } catch (e) {
      problems.push(`the signature cannot be read: ${(e as Error).message}`);
    }
  }
  return { files: Object.keys(files).sort(), problems, signer };
}

const HASHES: Record<string, string> = {
  [forge.pki.oids.sha1!]: 'sha1',
  [forge.pki.oids.sha256!]: 'sha256',
  [forge.pki.oids.sha384!]: 'sha384',
  [forge.pki.oids.sha512!]: 'sha512',
};

function verifyManifestSignature(
  manifest: Buffer,
  signature: Buffer,
  trust: { certPem: string; wwdrPem: string },
  problems: string[],
): { subject: string; notAfter: Date } | null {
  const asn1 = forge.asn1;
  const p7 = forge.pkcs7.messageFromAsn1(asn1.fromDer(forge.util.createBuffer(signature.toString('binary')))) as unknown as {
    type: string;
    certificates: forge.pki.Certificate[];
    rawCapture: { signerInfos?: forge.asn1.Asn1[] };
  };
  if (p7.type !== forge.pki.oids.signedData) {
    problems.push('the signature is not PKCS#7 signed data');
    return null;
  }
  const ders = p7.certificates.map((c) => Buffer.from(asn1.toDer(forge.pki.certificateToAsn1(c)).getBytes(), 'binary'));
  const expected = new X509Certificate(trust.certPem);
  const wwdr = new X509Certificate(trust.wwdrPem);
  if (!ders.some((d) => new X509Certificate(d).fingerprint256 === wwdr.fingerprint256)) problems.push('the signature does not carry the WWDR intermediate');
  const signerCert = ders.map((d) => new X509Certificate(d)).find((c) => c.fingerprint256 === expected.fingerprint256);
  if (!signerCert) {
    problems.push('the pass is not signed by the uploaded certificate');
    return null;
  }
  if (!signerCert.checkIssued(wwdr) || !signerCert.verify(wwdr.publicKey)) problems.push('the signing certificate was not issued by the WWDR intermediate');
  const infos = p7.rawCapture.signerInfos ?? [];
  if (infos.length !== 1) {
    problems.push(`the signature has ${infos.length} signers, one expected`);
    return null;
  }
  // The SignedData validator of node-forge captures the (only) signer info's fields as it reads them.
  const capture = p7.rawCapture as unknown as { digestAlgorithm?: string; authenticatedAttributes?: forge.asn1.Asn1[]; signature?: string };
  if (!capture.digestAlgorithm || !capture.signature) {
    problems.push('the signer info cannot be read');
    return null;
  }
  const hash = HASHES[asn1.derToOid(capture.digestAlgorithm)];
  if (!hash) {
    problems.push('the signature uses an unknown digest');
    return null;
  }
  const attrs = (capture.authenticatedAttributes ?? []) as forge.asn1.Asn1[];
  if (!attrs.length) {
    problems.push('the signature has no signed attributes');
    return null;
  }
  // Attribute ::= SEQUENCE { type OID, values SET OF value }
  const digestAttr = attrs.find((a) => asn1.derToOid((a.value as forge.asn1.Asn1[])[0]!.value as string) === forge.pki.oids.messageDigest);
  const digest = digestAttr ? Buffer.from(((digestAttr.value as forge.asn1.Asn1[])[1]!.value as forge.asn1.Asn1[])[0]!.value as string, 'binary') : null;
  if (!digest || !digest.equals(createHash(hash).update(manifest).digest())) problems.push('the signed digest does not match manifest.json');
  // The signature covers the DER of the attributes as a SET (not the [0] IMPLICIT tag they travel in).
  const signed = Buffer.from(asn1.toDer(asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SET, true, attrs)).getBytes(), 'binary');
  if (!verify(hash, signed, signerCert.publicKey, Buffer.from(capture.signature as string, 'binary'))) problems.push('the signature does not verify');
  return { subject: signerCert.subject.replace(/\n/g, ', '), notAfter: new Date(signerCert.validTo) };
}
